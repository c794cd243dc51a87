/* version.c: nrt_get_version. The emulator reports the libnrt ABI version its headers follow
 * (2.29.40.0); rt_detail says it is the emulator, git_hash is "emulator". */
#include "emu.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

NRTEMU_API NRT_STATUS nrt_get_version(nrt_version_t *ver, size_t size) {
    if (ver == NULL) {
        LOG_ERROR("nrt_get_version", "ver is NULL");
        return NRT_INVALID;
    }
    const char *inst_name;
    char *configured = NULL;
    pthread_rwlock_rdlock(&nrtemu_rt.lock);
    bool init = atomic_load(&nrtemu_rt.state) == NRTEMU_STATE_INIT;
    inst_name = init ? nrtemu_rt.topo.inst->name : NULL;
    pthread_rwlock_unlock(&nrtemu_rt.lock);
    if (inst_name == NULL) {
        configured = nrtemu_config_get(NRTEMU_OPT_INSTANCE);
        inst_name = configured != NULL && configured[0] ? configured : NRTEMU_DEFAULT_INSTANCE;
    }
    nrt_version_t v;
    memset(&v, 0, sizeof v);
    v.rt_major = 2;
    v.rt_minor = 29;
    v.rt_patch = 40;
    v.rt_maintenance = 0;
    snprintf(v.rt_detail, sizeof v.rt_detail,
             "neuron-rt emulator %s (libnrt ABI 2.29.40.0, instance %.60s)", NRTEMU_VERSION_STRING,
             inst_name);
    snprintf(v.git_hash, sizeof v.git_hash, "emulator");
    free(configured);
    memcpy(ver, &v, size < sizeof v ? size : sizeof v);
    return NRT_SUCCESS;
}
