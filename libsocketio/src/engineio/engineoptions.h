#pragma once

#include <SocketIo/socketio_export.h>

#include <QByteArray>
#include <QDateTime>
#include <QHostAddress>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QUrlQuery>

#include <chrono>
#include <functional>

namespace SocketIo {

/*! Engine.IO error codes, exactly as engine.io's Server.errors (protocol.md 1.5). */
enum class EngineError {
    UnknownTransport = 0,
    UnknownSid = 1,
    BadHandshakeMethod = 2,
    BadRequest = 3,
    Forbidden = 4,
    UnsupportedProtocolVersion = 5,
};

/*! engine.io's message for \a code ("Transport unknown", "Session ID unknown", ...). */
SOCKETIO_EXPORT QString engineErrorMessage(EngineError code);

/*! The HTTP request that opened an Engine.IO session (the handshake GET or the WebSocket
    upgrade), as socket.io's socket.handshake and allowRequest see it. */
struct SOCKETIO_EXPORT EngineRequest
{
    QByteArray method;
    QString url;                                   // raw request target, e.g. "/socket.io/?EIO=4&transport=polling"
    QList<QPair<QByteArray, QByteArray>> headers;  // lower-case names, in order received
    QUrlQuery query;
    QHostAddress remoteAddress;
    quint16 remotePort = 0;
    bool secure = false;
    QDateTime time;                                // when the request arrived (UTC)

    QByteArray header(QByteArrayView lowerName) const;
};

/*! HTTP response headers as (name, value) pairs, in the order they are written; a name may
    appear more than once (several Set-Cookie headers). */
using EngineHeaders = QList<QPair<QByteArray, QByteArray>>;

/*! How an engine middleware goes on: call it once, on the server's thread (with ServerWorkers,
    the worker's thread that ran the middleware), with an empty string to pass the request to the
    next middleware (after the last, to the engine), or with a reason to refuse it. A refused
    request is answered as engine.io answers a middleware's error: code 3 "Bad request" (a polling
    request gets HTTP 400 with {"code":3,"message":"Bad request"}, a WebSocket upgrade a plain 400
    and the connection is closed), EngineServer::connectionError() is emitted and the reason is
    logged (context MIDDLEWARE_FAILURE); the peer does not see the reason. A second call is
    ignored (logged), so is a call on another thread. A request whose middleware never calls it
    is not answered, as in engine.io: it waits until its peer gives up. Calling it after the peer
    left does nothing (a session whose POST it was goes on). A middleware cannot answer with a
    status or body of its own (engine.io's res.writeHead()/res.end()): a refusal is always the
    400 above. */
using EngineNext = std::function<void(const QString &error)>;

/*! An engine middleware, engine.io's `engine.use((req, res, next) => ...)`: called on the
    server's thread for every HTTP request of the engine (each polling request, handshake or not,
    and each WebSocket upgrade), before the engine looks at it (transport, session id,
    allowRequest; a POST takes its session's POST slot only after them, as in engine.io), in the
    order of EngineOptions::middlewares. Before them only the HTTP layer acts: a CORS preflight
    answered by the \c cors option does not reach them (engine.io's cors is its first middleware),
    the body of a request is read first (so maxHttpBufferSize and httpBodyTimeout apply before
    them), a WebSocket upgrade pipelined behind another request is refused, and with
    ServerWorkers a request naming a session of another worker is handed to that worker, where
    they run. \a request is the request (a POST's body is not part of it). \a responseHeaders
    starts empty, and what the middleware puts there (until it calls \a next) is added to the
    response: to a polling response (also an error; a header the engine writes itself, such as
    Content-Type, keeps the engine's value, as a Node header set with setHeader() yields to
    writeHead()'s), and to the 101 of a WebSocket handshake, before initialHeaders/responseHeaders
    see it (as engine.io's WebSocketResponse collects them for ws's "headers" event; not on
    sockets given to EngineServer::handleConnection(), as with those functions). Headers that
    name the framing or the WebSocket handshake, or hold control characters, are left out
    (logged). \a request and \a responseHeaders stay valid until \a next is called, so a
    middleware may finish later, e.g. when a reply it waits for arrives. */
using EngineMiddleware =
    std::function<void(const EngineRequest &request, EngineHeaders &responseHeaders, const EngineNext &next)>;

/*! CORS as the npm `cors` package applies it to every engine request (protocol.md 1.10). */
struct SOCKETIO_EXPORT CorsOptions
{
    bool enabled = false;
    /*! Allowed origins, as the cors package's `origin`: empty or "*" allows any (sent as "*"
        unless credentials is set, in which case the request's Origin is echoed, as with
        `origin: true`); one origin is sent as it is on every response; with several, the
        request's Origin is echoed when it is one of them, and nothing is sent otherwise. */
    QStringList origins;
    bool credentials = false;
    QStringList methods = {QStringLiteral("GET"), QStringLiteral("HEAD"), QStringLiteral("PUT"),
                           QStringLiteral("PATCH"), QStringLiteral("POST"), QStringLiteral("DELETE")};
    QStringList allowedHeaders;   // empty: echo Access-Control-Request-Headers
    QStringList exposedHeaders;
    int maxAge = -1;              // seconds, -1: not sent
};

/*! The `cookie` option (engine.io): when enabled, the initial polling response sets it. */
struct SOCKETIO_EXPORT CookieOptions
{
    bool enabled = false;
    QString name = QStringLiteral("io");
    QString path = QStringLiteral("/");
    bool httpOnly = true;
    QString sameSite = QStringLiteral("Lax");
    bool secure = false;
    int maxAge = -1;              // seconds, -1: session cookie
    QString domain;
};

/*! engine.io's httpCompression: polling responses of at least \c threshold bytes are compressed
    when the request's Accept-Encoding allows gzip or deflate (chosen as engine.io does) and at
    least one packet of the response asks for it: every packet does unless it was sent with the
    compress flag off (EngineSession::NoCompress, Socket::NoCompress, BroadcastOperator::compress()),
    as engine.io's `options.compress`. Only the long-polling transport is concerned
    (perMessageDeflate, off by default in engine.io, is not supported). */
struct SOCKETIO_EXPORT HttpCompressionOptions
{
    bool enabled = true;
    qint64 threshold = 1024;
    int level = -1;               // zlib level 0-9, -1: zlib's default
};

/*! Engine.IO server options with engine.io's defaults (protocol.md 1.10). */
struct SOCKETIO_EXPORT EngineOptions
{
    QString path = QStringLiteral("/engine.io/");           // normalised to end with '/' (addTrailingSlash)
    /*! engine.io's addTrailingSlash: requests are matched by the path with a '/' appended
        ("/engine.io/", so "/engine.io?EIO=4" is not ours). false matches the path without it,
        by plain prefix as engine.io does ("/engine.io?EIO=4", and also "/engine.iox"). */
    bool addTrailingSlash = true;
    std::chrono::milliseconds pingInterval{25000};
    std::chrono::milliseconds pingTimeout{20000};
    std::chrono::milliseconds upgradeTimeout{10000};
    qint64 maxHttpBufferSize = 1000000;
    bool pollingEnabled = true;                              // transports: polling
    bool websocketEnabled = true;                            // transports: websocket
    bool allowUpgrades = true;
    /*! Bytes (encoded payload size) a session may keep queued for a peer that takes nothing:
        when more than this stay queued for writeStallTimeout, and meanwhile the peer took
        nothing (no GET on polling, and none of what waits in the socket went out), the
        session closes with reason "transport error" ("write buffer overflow"). A peer that
        keeps taking what it is sent may have more queued for a while (a burst of large
        messages), up to maxBufferedBytesCeiling: engine.io has no limit at all, and a healthy
        peer must not be dropped for a burst. 0 means no such limit.
        Default 10 MB, i.e. ten full payloads at the default maxHttpBufferSize: far more than a
        client that keeps polling ever has waiting for long (it collects everything on each
        GET). */
    qint64 maxBufferedBytes = 10 * 1000 * 1000;
    /*! How long more than maxBufferedBytes may stay queued while the peer takes nothing
        (see there). Default 20 s, the default pingTimeout; 0 checks from the next event-loop
        pass. */
    std::chrono::milliseconds writeStallTimeout{20000};
    /*! Hard ceiling of what a session keeps queued, whatever the peer does: a send that would
        leave more queued closes the session at once ("transport error", "write buffer
        overflow"). It bounds the memory one peer costs, e.g. a polling peer that only provokes
        replies (invalid namespace CONNECTs answered by errors) and never collects them.
        What a writable transport takes at once is not counted: a single message larger than
        this still goes out while nothing else is waiting, so a peer may also hold up to about
        this much more in its socket's write buffer (written at its last flush). 0 means
        unlimited (as engine.io). Default 100 MB. */
    qint64 maxBufferedBytesCeiling = 100 * 1000 * 1000;
    /*! A request body (e.g. a polling POST) must arrive completely within this time after its
        head, otherwise the connection is aborted (a peer announcing a Content-Length and then
        trickling or sending nothing would hold the connection, and a session's only POST slot,
        forever). Same as the idle limit for request heads. */
    std::chrono::milliseconds httpBodyTimeout{30000};
    CorsOptions cors;
    CookieOptions cookie;
    HttpCompressionOptions httpCompression;
    /*! Called for handshakes only (requests without sid). Return an empty string to accept, or
        the refusal message (sent with code 4, HTTP 403). Runs synchronously on the server's
        thread. */
    std::function<QString(const EngineRequest &)> allowRequest;
    /*! engine.io's generateId: the id of each new Engine.IO session, called on the server's
        thread for every handshake. Unset: 20 random base64url
        characters, as engine.io's base64id. An empty id, or one a live session has, refuses
        the handshake (HTTP 400 "Bad request", a WebSocket is closed), as engine.io refuses one
        whose generateId throws. With ServerWorkers it runs on every worker's thread, possibly at
        the same time (each worker has a copy); an id is unique across the workers. */
    std::function<QString(const EngineRequest &)> generateId;
    /*! engine.io's "initial_headers" event (io.engine.on("initial_headers", ...)): called with
        the headers of a session's first response, the answer to its handshake (the polling
        GET's response, or the 101 of a WebSocket-only handshake), just before it is written, and
        with that request; it may add, change or remove headers, e.g. set a cookie. A polling
        response's list holds what the engine is about to send (Content-Type, cache-control,
        CORS, Content-Encoding, the \c cookie option's Set-Cookie; Content-Length and Connection
        are added after); the 101's list holds only what the functions add, since
        QWebSocketServer writes the rest. Runs on the server's thread before responseHeaders;
        with ServerWorkers on every worker's thread, possibly at the same time (each worker has a
        copy: what it captures must be safe for that). It must not close or delete sessions or
        the server. Content-Length, Transfer-Encoding, Connection, Keep-Alive, Upgrade and
        Sec-WebSocket-* are the engine's: such headers from the function are left out (logged). A header whose name is not an HTTP token or whose
        value holds a control character (CR, LF, ...) is left out and logged (Node's http
        module throws on it). */
    std::function<void(EngineHeaders &headers, const EngineRequest &request)> initialHeaders;
    /*! engine.io's "headers" event: as initialHeaders, for every response the engine writes for
        a session: each polling response (the handshake's, each poll's, each POST's "ok") and the
        101 of each WebSocket handshake, new or upgrading a polling session (one that
        QWebSocketServer will refuse, without "Sec-WebSocket-Version: 13" and a key, is not
        passed, as ws emits its "headers" only for a handshake it completes). Error responses and
        CORS preflights are not passed, as in engine.io. The 101 carries the headers only on
        connections the engine (or ServerWorkers) accepted itself: a socket given to
        EngineServer::handleConnection() is answered by QWebSocketServer without them (logged). */
    std::function<void(EngineHeaders &headers, const EngineRequest &request)> responseHeaders;
    /*! engine.io's middlewares (`io.engine.use(fn)`, e.g. to check a session cookie or a token on
        every request, or to add headers): see EngineMiddleware. Run in this order for every
        request; a request that one refuses reaches no further middleware and not the engine.
        With ServerWorkers every worker runs its copy on its own thread. With middlewares set, no POST
        is refused as overlapping another of its session: each body is complete when the engine
        sees it (engine.io detects the overlap only while a body is still arriving). */
    QList<EngineMiddleware> middlewares;
};

} // namespace SocketIo
