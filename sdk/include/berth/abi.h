/*
 * Berth plugin ABI: the binary boundary between berthd and a plugin.
 *
 * Plain C on purpose. Host and plugin may be built by different compilers, with
 * different flags and standard library versions, so nothing but C scalars, byte
 * ranges and function pointers crosses this line. Rules that hold everywhere:
 *
 *  - Byte ranges (berth_bytes) are borrowed: valid only for the duration of the
 *    call that passes them. Copy what you keep.
 *  - Whoever allocates frees. The plugin never frees host memory and the host
 *    never frees plugin memory; results travel through writer callbacks that copy.
 *  - No C++ exception crosses the boundary. The SDK's C++ layer (plugin.hpp)
 *    catches everything and turns it into a status code.
 *  - Every struct starts with `struct_size`, so either side can tell which
 *    fields the other knows about. Fields are only ever appended (ABI minor).
 *
 * A plugin exports exactly one symbol: `berth_plugin` (a berth_plugin_descriptor).
 */
#ifndef BERTH_ABI_H
#define BERTH_ABI_H

#include <berth/version.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BERTH_ABI_MAJOR 1u
#define BERTH_ABI_MINOR 3u
#define BERTH_SDK_VERSION BERTH_VERSION
#define BERTH_DESCRIPTOR_SYMBOL "berth_plugin"

/* Status codes returned by plugin entry points. */
#define BERTH_OK 0
#define BERTH_ERROR 1 /* failed; a message was written through the error writer */

/* The architecture this is compiled for, as the build fingerprint's `arch=` names it. The host
 * refuses a plugin built for another one; tests expect the host's. */
#if defined(__x86_64__)
#define BERTH_ARCH "x86_64"
#elif defined(__aarch64__)
#define BERTH_ARCH "aarch64"
#else
#define BERTH_ARCH "other"
#endif

/* A borrowed byte range; not NUL-terminated unless said otherwise. */
typedef struct berth_bytes {
    const char* data;
    size_t size;
} berth_bytes;

typedef struct berth_pair {
    berth_bytes name;
    berth_bytes value;
} berth_pair;

/* Log levels for berth_host_api.log. */
enum berth_log_level { BERTH_LOG_DEBUG = 0, BERTH_LOG_INFO = 1, BERTH_LOG_WARN = 2, BERTH_LOG_ERROR = 3 };

/* A sink the host hands to the plugin for text it wants back (errors, the manifest).
 * write() may be called several times; the pieces are concatenated. */
typedef struct berth_writer {
    uint32_t struct_size;
    void* ctx;
    void (*write)(void* ctx, berth_bytes text);
} berth_writer;

/* Where the answer to a call into another module goes. The host copies every byte range. */
typedef struct berth_response_writer berth_response_writer;

/* A request from this module to another one, dispatched in-process by the host through the
 * callee's route table and contract checks. The host adds the caller's identity itself. */
typedef struct berth_call {
    uint32_t struct_size;
    berth_bytes module;        /* the callee's configured name */
    berth_bytes method;
    berth_bytes target;        /* path and query */
    berth_bytes body;          /* JSON, or empty */
    berth_bytes request_id;    /* carried along; empty to let the host make one */
    berth_bytes authorization; /* an Authorization header value to pass on, or empty */
} berth_call;

/* Services the host offers a plugin. Valid from create() until destroy() returns.
 * Callable from any thread. Fields after `log` exist when struct_size covers them (ABI 1.1, 1.2, 1.3). */
typedef struct berth_host_api {
    uint32_t struct_size;
    void* ctx;
    /* Writes one line to the host log, attributed to the plugin. */
    void (*log)(void* ctx, int level, berth_bytes message);
    /* ABI 1.1: signs a token (HS256 JWT with sub, iss, iat, exp, scope) for `subject` with the
     * space-separated `scope`. Writes the token to `token`, its expiry (Unix seconds) to
     * *expires_at. BERTH_ERROR with a message if the host has no signing key. */
    int (*issue_token)(void* ctx, berth_bytes subject, berth_bytes scope, const berth_writer* token,
                       int64_t* expires_at, const berth_writer* error);
    /* ABI 1.1: calls another module synchronously on the calling thread. The answer (any
     * status, including the callee's problem responses) goes to `response`. BERTH_ERROR only
     * when the call could not be made at all (message in `error`). */
    int (*call)(void* ctx, const berth_call* call, const berth_response_writer* response, const berth_writer* error);
    /* ABI 1.2: reports how long the plugin waited for one of its database sessions, and whether it
     * got one (granted = 1) or gave up at its lease timeout (granted = 0). For the host's metrics. */
    void (*report_lease_wait)(void* ctx, uint64_t waited_ns, int granted);
    /* ABI 1.3: ends one session (a log-out). `token` is a bearer token this host signed; from this
     * call on, every module's edge refuses it (401) until it would have expired anyway. The host
     * keeps the revocation across restarts. A token of this host that has expired already is
     * ended: BERTH_OK, nothing kept. BERTH_ERROR with a message if `token` is not one this host
     * signed, or if the revocation could not be kept. */
    int (*end_session)(void* ctx, berth_bytes token, const berth_writer* error);
    /* ABI 1.3: ends every session of `subject` begun before this call (a password change): every
     * token for that "sub" issued before now is refused (401) by every module's edge from now on;
     * tokens issued after the call are not. Kept across restarts. BERTH_ERROR with a message if the
     * revocation could not be kept (the host's bound on revocations is reached). */
    int (*end_sessions)(void* ctx, berth_bytes subject, const berth_writer* error);
} berth_host_api;

/* One HTTP request, as dispatched to a route the plugin declared. Everything is borrowed
 * for the duration of handle(). `route` is the index of the matched route in the
 * manifest's "routes" array. The body has already passed the route's JSON Schema, if any. */
typedef struct berth_request {
    uint32_t struct_size;
    uint32_t route;
    berth_bytes method;
    berth_bytes target; /* path and query, as received */
    berth_bytes path;   /* decoded path */
    const berth_pair* params; /* path template parameters, decoded */
    size_t param_count;
    const berth_pair* query; /* query parameters, decoded, in order */
    size_t query_count;
    const berth_pair* headers;
    size_t header_count;
    berth_bytes body;
    berth_bytes request_id; /* X-Request-Id, generated by the host if the client sent none */
    /* ABI 1.1: who is asking, as the host established it before the handler runs. */
    berth_bytes subject; /* the verified token's "sub"; empty when the route needs no token */
    berth_bytes scopes;  /* the verified token's "scope", space-separated */
    berth_bytes caller;  /* the calling module's name for an in-process call; empty from HTTP */
} berth_request;

/* Where handle() puts its answer. The host copies every byte range. */
struct berth_response_writer {
    uint32_t struct_size;
    void* ctx;
    void (*set_status)(void* ctx, int status);
    void (*add_header)(void* ctx, berth_bytes name, berth_bytes value);
    void (*append_body)(void* ctx, berth_bytes chunk);
};

/* Context for create(): what the host's config says about this module. */
typedef struct berth_create_args {
    uint32_t struct_size;
    berth_bytes module;   /* the name this module is configured under */
    berth_bytes settings; /* the module's "settings" object, JSON text */
    berth_bytes database; /* the module's SOCI connection string */
    berth_bytes data_dir; /* absolute path of the host's data directory */
} berth_create_args;

/*
 * The descriptor. The host reads every field before it calls anything, and rejects a
 * plugin whose abi_major differs, whose struct_size is smaller than the host needs, or
 * whose fingerprint does not fit this host.
 *
 * Call order, all from host threads the plugin does not own:
 *   create -> describe -> start -> ready -> (handle, concurrently from several threads)* -> stop -> destroy
 * create/describe/start/stop/destroy are called from the host's deploy thread; ready() from a
 * thread of its own, which the host stops waiting for after its ready deadline: the swap then
 * fails, and stop/destroy run on that thread once ready() returns.
 */
typedef struct berth_plugin_descriptor {
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t struct_size; /* sizeof(berth_plugin_descriptor) as the plugin saw it */
    uint32_t reserved;
    /* "key=value;..." with sdk, arch, pointer_bytes, compiler, cxx11_abi. NUL-terminated. */
    const char* fingerprint;
    /* Module name and semantic version. NUL-terminated, static. */
    const char* name;
    const char* version;

    /* Makes an instance. The host keeps `host` valid until destroy(). */
    int (*create)(const berth_host_api* host, const berth_create_args* args, void** instance,
                  const berth_writer* error);
    /* Writes the manifest, a JSON object: {"routes":[{method, path, summary, schema?,
     * query?, auth?: {scopes: [...]}, callers?: [...], operation_id?}, ...]}. */
    int (*describe)(void* instance, const berth_writer* out, const berth_writer* error);
    /* Prepares to serve (open storage, run migrations). */
    int (*start)(void* instance, const berth_writer* error);
    /* Optional (may be NULL): BERTH_OK once the instance can take traffic. */
    int (*ready)(void* instance, const berth_writer* error);
    /* Serves one request. Must be thread-safe. BERTH_ERROR means an unhandled failure:
     * the host answers 500 and logs the message written to `error`. */
    int (*handle)(void* instance, const berth_request* request, const berth_response_writer* response,
                  const berth_writer* error);
    /* Stops serving and gives back everything it handed the host. No more handle() calls. */
    void (*stop)(void* instance);
    /* Frees the instance. After this returns the host may unload the library. */
    void (*destroy)(void* instance);
} berth_plugin_descriptor;

#ifdef __cplusplus
}
#endif

#endif /* BERTH_ABI_H */
