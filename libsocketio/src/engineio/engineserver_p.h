// HTTP front and session table of EngineServer.
#pragma once

#include "engineserver.h"
#include "protocol/httprequest.h"

#include <QBasicTimer>
#include <QElapsedTimer>
#include <QHash>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <chrono>
#include <memory>
#include <optional>

QT_BEGIN_NAMESPACE
class QSocketNotifier;
class QWebSocket;
class QWebSocketServer;
QT_END_NAMESPACE

namespace SocketIo {

class EngineServerPrivate;
class SessionDeadlines;
class OpenPacketTemplate;
class WebSocketTransport;
class WebSocketWriteBatch;

/*! A connection that has not sent a complete request head within this time is closed
    (slow or idle peers; also the idle limit of keep-alive connections between requests). */
inline constexpr std::chrono::seconds HttpHeadTimeout{30};

/*! While more than this many response bytes wait unread by the peer, the next pipelined request
    is not read: a client that pipelines requests and never reads the answers gets TCP flow
    control instead of an ever growing write buffer. Well above one polling response header,
    small enough to be negligible per connection. */
inline constexpr qint64 HttpWriteBacklogLimit = 64 * 1024;

/*! After the last response of a connection (Connection: close, or an error answer), the peer
    has this long to read it; then the connection is dropped, so one that never reads cannot
    keep the socket and its buffer forever. */
inline constexpr std::chrono::seconds HttpCloseTimeout{5};

using HttpHeaders = EngineHeaders;

/*!
  The sockets the engine accepts (EngineTcpServer, also ServerWorkers' acceptor): a QTcpSocket
  that can add header lines to the next WebSocket handshake response written through it.
  QWebSocketServer writes the 101 itself and has no way to add headers
  (EngineOptions::initialHeaders / responseHeaders); its response goes out in one write, and
  the lines are put in before the blank line that ends its head.

  And a write while nothing waits in Qt's write buffer goes to the kernel at once (send(2)),
  what the kernel does not take into that buffer, as Qt's own unbuffered TCP sockets do.
  A buffered QAbstractSocket copies every write into a 32 KiB chunk allocated on the first
  write and kept for the socket's lifetime (QRingBuffer keeps one chunk of its basic size),
  flushed a pass later or by an explicit flush() that emits bytesWritten(); here that chunk
  exists only while a peer is behind, and the reads keep Qt's buffering (QWebSocket and the
  HTTP front peek and read through it). Bytes written directly emit no bytesWritten(), as with
  Qt's unbuffered sockets: bytesToWrite() is what the engine checks. Elsewhere than on POSIX
  systems with MSG_NOSIGNAL every write goes through Qt's buffer.
*/
class EngineTcpSocket final : public QTcpSocket
{
public:
    using QTcpSocket::QTcpSocket;
    /*! \a headers go into the next "HTTP/1.1 101" response head written (dropped if another
        response comes first: QWebSocketServer refused the handshake). */
    void addToNextUpgradeResponse(const HttpHeaders &headers);

    /*! Writes \a pieces in order: with sendmsg(2) when nothing waits in Qt's buffer, the rest
        (or all of them) into that buffer. From the first piece of LargePiece bytes on, the
        pieces go to Qt's buffer, which shares them rather than copying. */
    void writePieces(const QList<QByteArray> &pieces);
    static constexpr qsizetype LargePiece = 16 * 1024;

    /*! Before any other write (QWebSocket's own frames: a pong, its close frame, also when it
        answers the peer's close), \a transport writes the frames it has collected, so that
        everything leaves in the order it was sent. Null: none. */
    void setFramesFirst(WebSocketTransport *transport) { m_framesFirst = transport; }
    /*! Once more than \a bytes would wait in the write buffer (0: no limit), what is written
        is dropped and the connection aborted from the event loop, with a warning: the engine's
        maxBufferedBytesCeiling for what it does not queue itself (QWebSocket's pongs). */
    void setWriteCeiling(qint64 bytes) { m_writeCeiling = bytes; }

protected:
    qint64 writeData(const char *data, qint64 size) override;

private:
    /*! Bytes the kernel took at once (send(2)/sendmsg(2)); 0 when Qt's buffer is not empty,
        the socket is not connected or the kernel takes nothing now; -1 on an error, which is
        then left to Qt's own write (it reports it). */
    qint64 sendNow(const char *data, qint64 size);
    qint64 sendNow(const QList<QByteArray> &pieces, qsizetype count);   // the first count
    bool canSendNow() const;

    QByteArray m_upgradeHeaderLines;
    WebSocketTransport *m_framesFirst = nullptr;
    bool m_buffering = false;   // writeData() hands everything to Qt's buffer
    qint64 m_writeCeiling = 0;
    bool m_overCeiling = false;
};

/*!
  A QTcpServer whose connections are EngineTcpSockets.

  On Linux it accepts by itself (start(), accept4(2)): Qt 6.4's QTcpServer retries a failed accept
  for as long as the connection waits in the backlog, so a process out of file descriptors
  (EMFILE) spins at full CPU, says nothing and leaves the connections hanging. Here, as libuv
  does for Node, one descriptor is kept in reserve: when accept fails for want of descriptors,
  the reserve is given up to take the waiting connection and close it at once (the peer sees
  the connection closed, not a hang), then taken back; a warning says so, at most every few
  seconds with the count. When even that does not work (no reserve left, or the kernel is out
  of memory), accepting pauses and is retried every AcceptRetryDelay: the connections wait in
  the backlog meanwhile, with one warning, and are served once descriptors are free again.
*/
class EngineTcpServer final : public QTcpServer
{
public:
    using QTcpServer::QTcpServer;
    ~EngineTcpServer() override;

    /*! listen(), then the accepting described above. */
    bool start(const QHostAddress &address, quint16 port);
    /*! Stops accepting and closes the listening socket (QTcpServer::close()). */
    void stop();
    /*! The next accepted connection, or null (instead of nextPendingConnection(), which would
        switch Qt's own accepting back on). */
    QTcpSocket *takeAccepted();
    /*! Connections closed at once because no descriptor was left (since start()). */
    qint64 refusedForDescriptors() const { return m_refused; }

    static constexpr std::chrono::milliseconds AcceptRetryDelay{100};
    static constexpr std::chrono::seconds RefusalWarningInterval{5};

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    void onAcceptable();
    /*! An EngineTcpSocket for an accepted descriptor; null (descriptor closed, warning) when
        Qt cannot take it. */
    EngineTcpSocket *wrap(qintptr socketDescriptor);
    void warnRefused(const char *why);

    QSocketNotifier *m_notifier = nullptr;
    QList<QTcpSocket *> m_accepted;
    int m_spareFd = -1;
    qint64 m_refused = 0;
    qint64 m_refusedWarned = 0;
    QElapsedTimer m_lastRefusalWarning;
    bool m_refusalSummaryDue = false;
    bool m_acceptPaused = false;   // warned that accepting pauses; cleared by the next accept
    bool m_resumeOnError = false;  // (not Linux) acceptError connected
};

/*!
  The query parameters the engine itself reads, parsed once per request from the raw query, as
  engine.io 6 reads req._query (Object.fromEntries(new URL(req.url, base).searchParams)):
  - pairs are separated by '&' (empty ones skipped), name and value by the first '='; a pair
    without '=' has an empty value;
  - names and values are decoded as URLSearchParams does (Protocol::decodeQueryComponent(): '+'
    is a space, an invalid '%' sequence stays as it is), then read as UTF-8;
  - of a name given several times, the last value wins (Object.fromEntries); QUrlQuery's
    queryItemValue(), which the engine used before, took the first;
  - a fragment ('#' and what follows, even before the '?') is not part of the query, nor of
    EngineRequest::query;
  - engine.io tests `if (sid)`: an empty sid is no sid (a handshake), as here.
  EngineRequest::query (the application's view) is still a QUrlQuery of the raw query.
*/
struct EngineQuery
{
    /*! \a request must outlive this: the values are views into its target. */
    explicit EngineQuery(const Protocol::HttpRequest &request);
    Q_DISABLE_COPY_MOVE(EngineQuery)

    QByteArrayView transport;   // decoded
    QByteArrayView eio;         // decoded
    QString sid;                // empty: none
    bool b64 = false;           // a non-empty b64: the client cannot take binary (Transport ctor)

private:
    QByteArray m_decodedTransport;   // what transport shows when it had something to decode
    QByteArray m_decodedEio;
};

/*! A response the engine sends for a request outside Engine.IO (EngineServerPrivate::staticFiles). */
struct StaticResponse
{
    int status = 200;
    HttpHeaders headers;
    QByteArray body;
};

/*!
  One accepted TCP connection speaking HTTP/1.1. Requests are handled one at a time, so
  responses are in request order; pipelined bytes wait in the socket (or the parser) until the
  previous response was written. The head of a request is only peeked at, so that a WebSocket
  upgrade can be handed to QWebSocketServer with the bytes still unread.
*/
class HttpConnection : public QObject
{
    Q_OBJECT
public:
    /*! \a initialBytes: bytes of this connection already read from \a socket by another server
        (a connection handed over between ServerWorkers workers); they are parsed first. */
    HttpConnection(QTcpSocket *socket, EngineServerPrivate *server, QObject *parent,
                   const QByteArray &initialBytes = QByteArray());
    ~HttpConnection() override;

    /*! Writes the response to the current request and goes on with the next one (or closes). */
    void respond(int status, const HttpHeaders &headers, const QByteArray &body,
                 bool closeAfter = false);
    /*! Writes raw bytes and closes the connection (refused WebSocket upgrades). */
    void respondRawAndClose(const QByteArray &bytes);
    /*! Closes at once (no response). */
    void abort();
    /*! Gives up the socket (handed to QWebSocketServer) and deletes this object later. */
    QTcpSocket *takeSocket();
    /*! Gives up the socket, without parent, for another server (ServerWorkers: the current
        request names a session of another worker); call from EngineServerPrivate::onHead().
        \a unread receives the bytes taken out of the socket already that belong to the current
        request and after it (its head rebuilt from the parsed request when it was not only
        peeked at); the socket still holds the rest. */
    QTcpSocket *releaseForHandOver(QByteArray *unread);
    bool isAwaitingResponse() const { return m_mode == Mode::AwaitingResponse || m_mode == Mode::ReadBody; }
    /*! Still serving a request (not closed, socket not given up). */
    bool isOpen() const { return m_mode != Mode::Closed && m_socket; }
    /*! A WebSocket upgrade waits for the engine middlewares: nothing more is read meanwhile
        (the head stays unread in the socket for QWebSocketServer). */
    void holdUpgrade() { m_mode = Mode::AwaitingResponse; }
    /*! Headers the engine middlewares set for the current request's response (sanitised):
        added to it unless the response has a header of that name itself. */
    void setMiddlewareHeaders(const HttpHeaders &headers) { m_middlewareHeaders = headers; }
    QTcpSocket *socket() const { return m_socket; }
    EngineServerPrivate *server() const { return m_server; }

Q_SIGNALS:
    /*! The peer went away (or the connection was aborted) while a request was unanswered. */
    void aborted();

protected:
    void timerEvent(QTimerEvent *event) override;

private:
    // WaitDrain: the previous responses are not read yet (HttpWriteBacklogLimit); the next
    // request stays unread until they drain.
    enum class Mode { PeekHead, ReadHead, ReadBody, AwaitingResponse, WaitDrain, Closed };

    void onReadyRead();
    void onBytesWritten();
    void onDisconnected();
    void onBodyTimeout();
    void onHeadTimeout();
    void startHeadTimer();
    void stopTimers();
    void headReceived();
    void failParse();
    void startNextRequest();
    void readNextRequest();
    void dispatch();
    void finish();

    QTcpSocket *m_socket;
    EngineServerPrivate *m_server;
    Protocol::HttpRequestParser m_parser;
    Mode m_mode = Mode::PeekHead;
    qsizetype m_peeked = 0;
    bool m_closeAfterResponse = false;
    bool m_isHead = false;   // the current request is a HEAD: its response carries no body
    bool m_engineRequest = false;
    bool m_watchingWrites = false;   // bytesWritten connected (first time in WaitDrain)
    // the socket's connections to this, undone one by one when the socket is handed on
    // (disconnect(this) would take Qt's string-based path)
    QMetaObject::Connection m_readyReadConnection;
    QMetaObject::Connection m_disconnectedConnection;
    QMetaObject::Connection m_bytesWrittenConnection;
    quint64 m_requestsServed = 0;   // requests dispatched so far (onDisconnected() serves what is left)
    QByteArray m_pipelined;   // bytes of the next request(s) read while the previous one was served
    HttpHeaders m_middlewareHeaders;   // for the current request's response (setMiddlewareHeaders())
    // QBasicTimers, not QTimers: no QObject and no signal connection per timer and connection
    QBasicTimer m_headTimer;  // idle limit: request head, and draining responses in WaitDrain
    QBasicTimer m_bodyTimer;  // EngineOptions::httpBodyTimeout
    QBasicTimer m_closeTimer; // HttpCloseTimeout after the last response
};

class EngineServerPrivate
{
    Q_DECLARE_PUBLIC(EngineServer)
public:
    explicit EngineServerPrivate(EngineServer *q);
    ~EngineServerPrivate();

    // HTTP front callbacks
    /*! Head of a request complete (body may follow). Returns false if the connection was
        answered (or handed over) and must not be served further. */
    bool onHead(HttpConnection *connection, const Protocol::HttpRequest &head, bool mayUpgrade);
    void onRequest(HttpConnection *connection, Protocol::HttpRequest request);
    /*! The request on \a connection will not reach handlePost() (refused, or its body timed
        out): a POST slot it took on its session is freed, so the session's next POST is not
        mistaken for a concurrent one. */
    void releasePost(HttpConnection *connection, const Protocol::HttpRequest &head);
    /*! The body of POST \a head on \a connection broke off (bad chunked framing): its session,
        if it names one with a polling transport, closes ("transport error", \a why). */
    void failPost(HttpConnection *connection, const Protocol::HttpRequest &head, const QString &why);

    void onNewTcpConnection();
    void onWebSocket();

    static EngineServerPrivate *get(EngineServer *q) { return q->d_func(); }
    /*! Serves \a socket (owned from now on) after \a initialBytes, which were read from it
        already by another server (ServerWorkers hand-over). */
    void serveConnection(QTcpSocket *socket, const QByteArray &initialBytes);
    /*! Internal hooks of ServerWorkers (sticky sessions across workers): ownedElsewhere(sid) says
        whether the session \a sid, unknown here, lives on another worker; then handOver() gets
        the connection (socket without parent, plus the bytes already read from it) to serve it
        there. Unset on a plain EngineServer. */
    std::function<bool(const QString &sid)> ownedElsewhere;
    /*! ServerWorkers: claims \a sid for this worker, atomically across workers, before anything
        of its handshake is written; false when another worker has it already (ids are random,
        and generateId may give the same id on two threads at once). */
    std::function<bool(const QString &sid)> claimId;
    /*! ServerWorkers: \a sid, claimed, names no session after all (it ended in its handshake). */
    std::function<void(const QString &sid)> releaseId;
    /*! Internal hook of the Socket.IO server (serveClient): a response for a request it serves
        itself, before the engine looks at it; the engine adds the CORS headers. */
    std::function<std::optional<StaticResponse>(const Protocol::HttpRequest &request)> staticFiles;
    std::function<void(const QString &sid, QTcpSocket *socket, const QByteArray &unread)> handOver;

    // shared with transports and sessions
    HttpHeaders corsHeaders(const Protocol::HttpRequest &request) const;
    /*! options.initialHeaders or options.responseHeaders is set. */
    bool hasHeaderHooks() const { return options.initialHeaders || options.responseHeaders; }
    /*! Passes \a headers of a response to \a request through options.initialHeaders (when
        \a initial: the answer to a handshake) and options.responseHeaders. */
    void applyHeaderHooks(HttpHeaders &headers, bool initial, const EngineRequest &request) const;
    /*! Leaves out (and logs) headers an application may not set: no HTTP token as name, control
        characters in the value, or one the engine writes itself (framing, WebSocket handshake). */
    static void dropForbiddenHeaders(HttpHeaders &headers);

    struct MiddlewareRun;
    /*! Runs options.middlewares for \a request on \a connection (now or later: a middleware may
        call its next() after returning), then calls \a proceed with the run (request, headers);
        a request a middleware refuses is answered here. Nothing happens once the connection is
        gone. */
    void applyMiddlewares(HttpConnection *connection, Protocol::HttpRequest request, bool upgrade,
                          EngineRequest engineRequest, std::function<void(MiddlewareRun &)> proceed);
    void stepMiddlewares(std::shared_ptr<MiddlewareRun> run);
    void failMiddlewares(MiddlewareRun &run);
    /*! onRequest() after the middlewares: verification and the polling transport.
        \a engineRequest: the request's, when built already. */
    void serveRequest(HttpConnection *connection, const Protocol::HttpRequest &request,
                      const EngineRequest *engineRequest);
    /*! onHead() for a WebSocket upgrade after the middlewares (\a middlewareHeaders go into the
        101): verification, the header functions and the hand-over to QWebSocketServer. */
    void upgradeConnection(HttpConnection *connection, const Protocol::HttpRequest &head,
                           EngineRequest engineRequest, HttpHeaders middlewareHeaders);
    /*! The session closed: out of the table now, deleted later. */
    void removeSession(EngineSession *session);
    /*! The session is being destroyed: drop it from the table without further ado. */
    void forgetSession(EngineSession *session);
    const EngineOptions &opts() const { return options; }

    struct Verdict
    {
        bool ok = true;
        EngineError code = EngineError::BadRequest;
        QString message;
        QString context;
        EngineSession *session = nullptr;
    };
    /*! \a engineRequest (for allowRequest) is needed only for a handshake: a request whose
        query has no sid. */
    Verdict verify(const Protocol::HttpRequest &request, const EngineQuery &query, bool upgrade,
                   const EngineRequest *engineRequest) const;
    EngineRequest makeEngineRequest(const Protocol::HttpRequest &request, QTcpSocket *socket) const;
    /*! \a engineRequest: the request's, or null to have it built here (for connectionError). */
    void refuse(HttpConnection *connection, const Protocol::HttpRequest &request, bool upgrade,
                const Verdict &verdict, const EngineRequest *engineRequest);
    void handshakePolling(HttpConnection *connection, const Protocol::HttpRequest &request,
                          const EngineRequest &engineRequest);
    void preflight(HttpConnection *connection, const Protocol::HttpRequest &request);
    QString generateId();
    /*! The id of a new session: options.generateId's, or generateId()'s without one. Empty (and
        logged) when the application's function gave an empty id or one already in use. */
    QString newSessionId(const EngineRequest &request);
    bool isEnginePath(const QByteArray &path) const;
    /*! options.path in UTF-8 (set with the options), for isEnginePath(). */
    QByteArray pathUtf8 = QByteArrayLiteral("/engine.io/");

    struct PendingUpgrade
    {
        QPointer<QTcpSocket> socket;
        QHostAddress address;
        quint16 port = 0;
        EngineRequest request;
        QString sid;          // empty: WebSocket-only handshake
        bool supportsBinary = true;
    };

    EngineServer *q_ptr;
    EngineOptions options;
    EngineTcpServer *tcpServer = nullptr;
    QWebSocketServer *wsServer = nullptr;
    /*! The Socket.IO server whose clients receive this engine's sessions (Server::listen() or
        attach()): one at a time, since a session has one receiver (EngineSessionReceiver). */
    QPointer<QObject> socketIoServer;
    QHash<QString, EngineSession *> sessions;
    /*! Sessions in the order they opened. A session that goes leaves a null in its slot
        (EngineSessionPrivate::orderIndex), and the nulls are squeezed out in one pass once
        they are half of the list: O(1) per closing session instead of a search and a move of
        the whole list (docs/benchmarks.md, "Engine, third round"). */
    QList<EngineSession *> sessionOrder;
    qsizetype sessionOrderHoles = 0;
    void appendToOrder(EngineSession *session);
    void removeFromOrder(EngineSession *session);
    /*! sessionOrder without the nulls. */
    QList<EngineSession *> orderedSessions() const;
    QList<PendingUpgrade> pendingUpgrades;
    /*! Heartbeats of all sessions (enginesession_p.h); created with the first session. */
    std::unique_ptr<SessionDeadlines> deadlines;
    /*! The open packet's JSON but for the sid (enginesession_p.h); created with the first session. */
    std::unique_ptr<OpenPacketTemplate> openPacket;
    /*! WebSocket frames written once per event-loop pass (enginetransport_p.h); a child of q. */
    WebSocketWriteBatch *writeBatch = nullptr;
    /*! Parent of the HTTP front (HttpConnection) and of sockets handed to QWebSocketServer. */
    QObject *frontParent();
    QObject *httpFront = nullptr;
    QString errorString;
    quint32 idCounter = 0;
};

/*! One request passing the engine middlewares (EngineServerPrivate::applyMiddlewares()). */
struct EngineServerPrivate::MiddlewareRun
{
    QPointer<HttpConnection> connection;
    Protocol::HttpRequest request;
    EngineRequest engineRequest;
    HttpHeaders headers;
    // the list as it was when the request came (setOptions() meanwhile does not change it)
    QList<EngineMiddleware> middlewares;
    std::function<void(MiddlewareRun &)> proceed;
    QThread *thread = nullptr;
    qsizetype index = 0;      // the middleware whose next() is awaited
    bool upgrade = false;
    bool inCall = false;      // inside middlewares[index] (a next() there is taken up by the loop)
    enum class Next { Awaited, WentOn, Refused } next = Next::Awaited;
    QString error;

    /*! Done (or its connection gone): lets go of the middlewares and the continuation, so that
        no function object of the application stays owned by a run that a stored next() keeps. */
    void settle()
    {
        middlewares.clear();
        proceed = nullptr;
    }
};

} // namespace SocketIo
