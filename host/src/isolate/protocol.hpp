// The messages between berthd and a module's worker process (isolation "process"), over the
// Unix stream socket the worker inherits as fd 3, framed by isolate/frame.hpp. The worker also
// inherits fd 4: a sealed memfd holding exactly the library bytes the host read, hashed,
// copied and inspected; it maps /proc/self/fd/4 and never opens the plugin file by path.
//
// Every message is a map with "t" (its type). Requests carry "id", numbered by their sender;
// the answer is {"t":"reply","id":<same>,"ok":true,...} or {"t":"reply","id":..,"ok":false,
// "error":"text"[,"step":"..."]}. Each side numbers its own requests, so a reply's direction
// says which side's id it answers. Byte strings that need not be UTF-8 (bodies) are MessagePack
// bin (nlohmann::json::binary); every other field is a str or an integer.
//
// Host -> worker (each answered by a reply):
//   load     {module, data_dir, threads, memory_limit_mb, max_open_files, user}
//            The worker applies its limits (RLIMIT_AS, RLIMIT_NOFILE, no core dumps), drops to
//            `user` if given (setgroups/setgid/setuid, no_new_privs), maps fd 4 and checks the
//            descriptor as the host does. ok: {name, version, fingerprint};
//            not ok: {step: "dlopen"|"descriptor"|"worker", error}.
//   create   {settings, database}            -> ok | {error}   (module and data_dir from load)
//   describe {}                              -> ok: {manifest: the describe() text}
//   start    {} / ready {} (ok when the plugin has no ready) / stop {} / destroy {}
//   handle   {route, method, target, path, params, query, headers, body(bin), request_id,
//             subject, scopes, caller}  params/query/headers: [[name, value], ...]
//            -> ok: {status, headers: [[name, value], ...], body(bin)}
//            -> not ok: {error}: the handler returned BERTH_ERROR (the host answers 500)
//   ping     {} -> ok. Answered by the worker's reading thread at once, never queued behind
//            requests: it says the process lives (a stopped or wedged one misses it); a stuck
//            handler is caught by the request deadline (limits.handler_timeout_ms), not by it.
//   reply    answers to the worker's token and call requests.
// Lifecycle messages (create .. destroy) run one at a time on the worker's lifecycle thread,
// handle on its handler pool (`threads` threads); the worker's reading thread never runs plugin
// code after load, so replies to the worker's own requests are always read. (load runs on the
// reading thread: dlopen runs the plugin's static initialisers there, before the plugin has a
// host api to wait on; one that hangs holds the load past the host's deadline for it.)
//
// Worker -> host:
//   log      {level, message}                       no reply
//   lease    {waited_ns, granted}                   no reply
//   token    {id, for, subject, scope}              -> ok: {token, expires_at}
//   call     {id, for, module, method, target, body(bin), request_id, authorization}
//            -> ok: {status, headers, body(bin)} (any status) | {error}: not made at all
//   end_session  {id, for, token}                 -> ok | {error}   (ABI 1.3: a log-out)
//   end_sessions {id, for, subject}               -> ok | {error}   (ABI 1.3: every older session)
//   reply    answers to the host's requests.
//   `for` is the id of the host request the calling worker thread is serving (0 when none, e.g.
//   a plugin's own thread): the host serves the call on the thread waiting for that request,
//   as in-process calls run on the caller's thread, so calls need no pool and cannot deadlock
//   on one. Only for a pending handle, at most 8 deep on one thread; any other `for` (a
//   lifecycle request, an unknown id) goes to the host's one fallback thread per worker.
//
// End of a worker: end of stream on fd 3 (the host closed it, or died) makes the worker _exit
// at once. The host stops a worker by closing its end and SIGTERM at once, SIGKILL to its process
// group after stop_timeout_ms, and always reaps it; it also sees a worker dead by its pid (a
// child of the worker may hold fd 3 open), and ends any worker by SIGKILL to its process group.
#pragma once

#include <string_view>

namespace berth::host::isolate::msg {

inline constexpr std::string_view load = "load", create = "create", describe = "describe", start = "start",
                                  ready = "ready", stop = "stop", destroy = "destroy", handle = "handle",
                                  ping = "ping", reply = "reply", log = "log", lease = "lease", token = "token",
                                  call = "call";
// ABI 1.3 (issue 12): worker -> host, served like token and call.
inline constexpr std::string_view end_session = "end_session", end_sessions = "end_sessions";

}  // namespace berth::host::isolate::msg
