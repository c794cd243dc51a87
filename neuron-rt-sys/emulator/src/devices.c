/* devices.c: device ids. An emulated instance is never containerised, so the id a process sees is
 * the host's id, and the routing id of host device d is d. Devices are the instance's chips. */
#include "emu.h"

static NRT_STATUS chips(uint32_t *out, const char *fn) {
    nrtemu_topo t;
    NRT_STATUS st = nrtemu_topo_current(&t, fn);
    if (st != NRT_SUCCESS) return st;
    *out = t.chips;
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_host_device_id_get(int neuron_dev, uint32_t *host_device_id) {
    static const char fn[] = "nrt_host_device_id_get";
    if (host_device_id == NULL) {
        LOG_ERROR(fn, "host_device_id is NULL");
        return NRT_INVALID;
    }
    uint32_t n;
    NRT_STATUS st = chips(&n, fn);
    if (st != NRT_SUCCESS) return st;
    if (neuron_dev < 0 || (uint32_t)neuron_dev >= n) {
        LOG_ERROR(fn, "invalid device %d: the instance has %u Neuron devices (valid: 0-%u)",
                  neuron_dev, n, n - 1);
        return NRT_INVALID;
    }
    *host_device_id = (uint32_t)neuron_dev;
    return NRT_SUCCESS;
}

NRTEMU_API NRT_STATUS nrt_host_device_id_rid_map_get(uint32_t *count,
                                                     uint32_t *host_did_to_rid_map) {
    static const char fn[] = "nrt_host_device_id_rid_map_get";
    if (count == NULL || host_did_to_rid_map == NULL) {
        LOG_ERROR(fn, "%s is NULL", count == NULL ? "count" : "host_did_to_rid_map");
        return NRT_INVALID;
    }
    uint32_t n;
    NRT_STATUS st = chips(&n, fn);
    if (st != NRT_SUCCESS) return st;
    if (*count < n) {
        LOG_ERROR(fn, "the map has room for %u entries, the instance has %u Neuron devices",
                  *count, n);
        return NRT_INVALID;
    }
    for (uint32_t d = 0; d < n; d++) host_did_to_rid_map[d] = d;
    *count = n;
    return NRT_SUCCESS;
}
