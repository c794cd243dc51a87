/*
 * nrt_status.h: status codes returned by the Neuron runtime (libnrt).
 *
 * Written for neuron-rt from the documented libnrt ABI (runtime headers 2.29.40.0).
 * The numeric values are the ABI: they never change, new codes are only appended.
 * Values 8 and 12 are unused.
 */
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    NRT_SUCCESS = 0,                       /* the call succeeded */
    NRT_FAILURE = 1,                       /* unspecified failure (also: tensor not in set, cores taken) */
    NRT_INVALID = 2,                       /* invalid argument, NEFF, or tensor name/size */
    NRT_INVALID_HANDLE = 3,                /* the handle is not a live object */
    NRT_RESOURCE = 4,                      /* out of a resource, e.g. device memory */
    NRT_TIMEOUT = 5,                       /* the operation did not finish in time */
    NRT_HW_ERROR = 6,                      /* the hardware reported an error */
    NRT_QUEUE_FULL = 7,                    /* too many executions pending */
    NRT_LOAD_NOT_ENOUGH_NC = 9,            /* too few NeuronCores to load the NEFF */
    NRT_UNSUPPORTED_NEFF_VERSION = 10,     /* NEFF version or feature not supported */
    NRT_FAIL_HOST_MEM_ALLOC = 11,          /* kept for backward compatibility only */
    NRT_UNINITIALIZED = 13,                /* called before nrt_init */
    NRT_CLOSED = 14,                       /* called after nrt_close */
    NRT_QUEUE_EMPTY = 15,                  /* nothing queued */
    NRT_EXEC_UNIT_UNRECOVERABLE = 101,     /* the execution unit cannot recover */
    NRT_EXEC_BAD_INPUT = 1002,             /* execution rejected its inputs */
    NRT_EXEC_COMPLETED_WITH_NUM_ERR = 1003,/* completed, numerical errors (NaN) produced */
    NRT_EXEC_COMPLETED_WITH_ERR = 1004,    /* completed with errors */
    NRT_EXEC_NC_BUSY = 1005,               /* the NeuronCore is locked by another model */
    NRT_EXEC_OOB = 1006,                   /* out-of-bounds indirect access */
    NRT_COLL_PENDING = 1100,               /* collective operation still pending */
    NRT_EXEC_HW_ERR_COLLECTIVES = 1200,    /* hardware error in collectives */
    NRT_EXEC_HW_ERR_HBM_UE = 1201,         /* uncorrectable HBM error */
    NRT_EXEC_HW_ERR_NC_UE = 1202,          /* uncorrectable NeuronCore error */
    NRT_EXEC_HW_ERR_DMA_ABORT = 1203,      /* DMA aborted */
    NRT_EXEC_SW_NQ_OVERFLOW = 1204,        /* notification queue overflow */
    NRT_EXEC_HW_ERR_REPAIRABLE_HBM_UE = 1205, /* repairable HBM error */
    NRT_NETWORK_PROXY_FAILURE = 1206,      /* network proxy failure */
} NRT_STATUS;

/* A static, human-readable name for a status; never NULL. */
const char *nrt_get_status_as_str(NRT_STATUS status);

#ifdef __cplusplus
}
#endif
