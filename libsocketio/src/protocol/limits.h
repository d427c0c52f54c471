// Limits of the wire protocols, in one place. Each number says where it comes from.
#pragma once

#include <QtGlobal>

namespace SocketIo::Protocol {

// socket.io-parser >= 4.2.6 refuses packets announcing more binary attachments than this
// (socket.io-parser lib/index.ts, option maxAttachments, default 10).
inline constexpr int MaxAttachments = 10;

// engine.io server option maxHttpBufferSize default (engine.io lib/server.ts): 1e6 bytes.
inline constexpr qint64 DefaultMaxHttpBufferSize = 1000000;

// HTTP request head limits of our own parser. Node's llhttp allows 16 KiB of headers
// (--max-http-header-size default 16384); we use the same.
inline constexpr int MaxHttpHeadSize = 16 * 1024;
// Same order as qtwebsockets' MAX_HEADERLINES (100).
inline constexpr int MaxHttpHeaderLines = 100;
// Longest request line (method, target, version) we accept.
inline constexpr int MaxHttpRequestLineLength = 8 * 1024;
// Total bytes of chunk extensions in one chunked request body: Node's http server allows
// 16 KiB (llhttp, since the fix of CVE-2024-22019) and answers 413 beyond.
inline constexpr int MaxChunkExtensionBytes = 16 * 1024;

// JSON nesting depth accepted by our JSON reader. V8 has no fixed limit but overflows its
// stack around 10^4; 512 is far above anything socket.io users send and keeps recursion safe.
inline constexpr int MaxJsonDepth = 512;

} // namespace SocketIo::Protocol
