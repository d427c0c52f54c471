#pragma once

#include <SocketIo/socketio_export.h>

#include <QByteArray>
#include <QList>
#include <QNetworkProxy>
#include <QObject>
#include <QPair>
#include <QSslConfiguration>
#include <QSslError>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QUrlQuery>

#include <chrono>
#include <memory>
#include <optional>

QT_BEGIN_NAMESPACE
class QNetworkAccessManager;
QT_END_NAMESPACE

namespace SocketIo {

class EngineClientPrivate;

/*! Engine.IO client options, with engine.io-client's defaults (protocol.md 1.12). */
struct SOCKETIO_EXPORT EngineClientOptions
{
    /*! Engine path; normalised to start with '/' and, with addTrailingSlash, to end with '/'.
        socket.io clients use "/socket.io/". */
    QString path = QStringLiteral("/engine.io/");
    /*! engine.io-client `addTrailingSlash` (default true): the requests go to the path with one
        trailing '/' ("/engine.io/?EIO=4..."); false sends them to the path without it
        ("/engine.io?EIO=4...", one trailing '/' of \c path is removed), for servers created
        with addTrailingSlash: false. */
    bool addTrailingSlash = true;
    /*! The transports allowed when \c transports is empty (the default): polling opens the
        session and, with upgrade, probes WebSocket; websocket alone connects with WebSocket. */
    bool polling = true;
    bool websocket = true;
    /*! engine.io-client `transports`, in order of preference: the first one opens the session
        (["websocket", "polling"] starts with WebSocket), and only transports listed here are
        upgraded to. Empty (the default): ["polling", "websocket"] as enabled by \c polling and
        \c websocket. When not empty it replaces those two; names other than "polling" and
        "websocket" are ignored with a warning ("webtransport" is not supported). */
    QStringList transports;
    /*! engine.io-client `tryAllTransports` (default false): when the transport opening the
        session fails before the handshake completed (a transport error: refused, HTTP error,
        WebSocket handshake refused), the next transport of the list is tried instead of failing
        the attempt (no errorOccurred() for the ones that failed before it). The failed
        transport is dropped from the list for this attempt (engine.io-client drops the first
        one, the same transport unless rememberUpgrade opened with WebSocket). */
    bool tryAllTransports = false;
    /*! engine.io-client `rememberUpgrade` (default false): after a connection that ended up on
        WebSocket (a successful upgrade, or a session opened with WebSocket), the next session
        opens with WebSocket directly when it is one of the transports. Any transport error
        forgets it, as does a session that opens on polling. engine.io-client remembers this in
        a process-wide static; here it is remembered by the EngineClient (across its open()
        calls) and by the SocketIo::Client across its connections, never between two clients. */
    bool rememberUpgrade = false;
    /*! Probe and switch to WebSocket after a polling handshake (engine.io-client `upgrade`). */
    bool upgrade = true;
    /*! Extra query parameters sent with every request (engine.io-client `query`). Keys and
        values are taken fully decoded and sent encoded as JavaScript's encodeURIComponent()
        does (so a '+' goes out as %2B and a Node server reads a '+', not a space). As in
        engine.io-client, a URL given to setUrl() that has a query of its own replaces this
        option entirely (the two are not merged); EIO, transport, sid and the timestamp
        parameter are the client's own and are never taken from either. */
    QUrlQuery query;
    /*! Extra HTTP headers for every polling request and the WebSocket handshake. */
    QList<QPair<QByteArray, QByteArray>> extraHeaders;
    /*! Cache-busting query parameter name; empty disables it. */
    QString timestampParam = QStringLiteral("t");
    /*! TLS settings for https/wss URLs. Certificate errors fail the connection unless the
        application calls EngineClient::ignoreSslErrors() from the sslErrors() signal. */
    QSslConfiguration sslConfiguration = QSslConfiguration::defaultConfiguration();
    /*! Proxy for both transports; DefaultProxy follows QNetworkProxy::applicationProxy().
        With setNetworkAccessManager(), polling uses that manager's proxy instead. */
    QNetworkProxy proxy = QNetworkProxy(QNetworkProxy::DefaultProxy);
    /*! How long the handshake may take before the attempt fails with "timeout"
        (socket.io-client Manager `timeout`): errorOccurred("timeout"), then
        closed("timeout", ...). std::nullopt disables it (socket.io-client's `timeout: false`);
        zero fails the attempt at once, from the event loop (as socket.io-client's 0 ms timer).
        (Before, zero disabled the timeout: use std::nullopt for that now.) */
    std::optional<std::chrono::milliseconds> connectTimeout{std::chrono::milliseconds(20000)};
    /*! engine.io-client `withCredentials` (default false). False: no cookies at all, neither
        sent nor stored (the polling requests bypass the network access manager's cookie jar).
        True: the cookie jar of the network access manager (the client's own one, one per
        EngineClient, or the one of setNetworkAccessManager()) stores the cookies the server
        sets on polling responses and sends them with every polling request, and its cookies
        for the server are copied into the WebSocket handshake request (engine.io-client's
        websocket.node.js), e.g. for sticky sessions behind a load balancer. */
    bool withCredentials = false;
};

/*!
  The Engine.IO v4 client (engine.io-client's Socket): HTTP long-polling over
  QNetworkAccessManager (one GET parked at a time, POSTs split to respect the server's
  maxPayload), WebSocket over QWebSocket, the upgrade probe from polling to WebSocket, and the
  heartbeat deadline (pingInterval + pingTimeout after each ping, else "ping timeout": the
  session is then ended properly, as engine.io-client does, with a close packet on polling or a
  close frame on WebSocket, sent after closed() and given up to 5 seconds; the server reads
  "transport close").

  Everything runs on the owner's thread. After closed() the client can open() again (a new
  session).

  Signal order of a session: stateChanged(Opening), opened() after stateChanged(Open),
  upgrading()/upgraded() when polling switches to WebSocket, messages and pingReceived() while
  open, then exactly once: [errorOccurred()], stateChanged(Closed), closed(). A session whose
  handshake never completed always ends with errorOccurred() (socket.io's connect_error)
  unless the application called close().
*/
class SOCKETIO_EXPORT EngineClient : public QObject
{
    Q_OBJECT
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
public:
    enum class State { Closed, Opening, Open, Closing };
    Q_ENUM(State)

    /*! Creates a closed client; set the URL (and options) and call open(). */
    explicit EngineClient(QObject *parent = nullptr);
    /*! Drops the connection without emitting signals. */
    ~EngineClient() override;

    /*! The server, e.g. http://localhost:3000 (ws/wss schemes are accepted too). The path of the
        URL is ignored (options().path is used). When the URL has a query, its items are sent
        instead of options().query (engine.io-client replaces the `query` option by the URL's). */
    void setUrl(const QUrl &url);
    /*! The URL set with setUrl(). */
    QUrl url() const;
    /*! Options for the next open(); the path is normalised as EngineClientOptions::path
        says (options() returns it as the requests use it). */
    void setOptions(const SocketIo::EngineClientOptions &options);
    /*! The options, with the normalised path. */
    SocketIo::EngineClientOptions options() const;
    /*! Use \a manager for polling (not owned; its proxy applies); by default the client owns
        one, configured with options().proxy. */
    void setNetworkAccessManager(QNetworkAccessManager *manager);

    /*! Starts a new session (Closed → Opening). Ignored (with a warning) while Opening or Open;
        while Closing, the old session ends at once (closed("forced close")) first. Call it from
        a slot on closed() or later, not from errorOccurred() or stateChanged(). An invalid URL
        or no enabled transport fails from the event loop like any connection error. */
    void open();
    /*! Closes the session. While Open: state becomes Closing, queued packets are flushed first
        (and a running upgrade completes), then polling POSTs a close packet and WebSocket sends
        a close frame; closed("forced close") follows from the event loop once the server has
        the close (bounded by a 5 s timeout). While Opening: the attempt is abandoned and
        closed("forced close") is emitted before close() returns. No errorOccurred() either way.
        Idempotent. */
    void close();

    /*! Closed → Opening → Open → Closing → Closed; stateChanged() on every step. */
    State state() const;
    /*! Session id from the handshake, empty when not open. */
    QString sessionId() const;
    /*! "polling" or "websocket". */
    QString transportName() const;
    /*! The server's heartbeat settings from the handshake, in ms (0 before it). */
    int pingInterval() const;
    /*! See pingInterval(). */
    int pingTimeout() const;
    /*! The server's maxPayload from the handshake (bytes; polling POSTs stay within it). */
    qint64 maxPayload() const;

    /*! Queues a text message (packet 4) with UTF-8 \a data. Buffered while Opening; dropped
        while Closing or Closed (as engine.io-client does). */
    void sendText(const QByteArray &utf8);
    /*! Queues a binary message (same buffering as sendText()). */
    void sendBinary(const QByteArray &bytes);
    /*! Queues a text message and its binary attachments together (one Socket.IO packet). */
    void sendMessages(const QByteArray &utf8, const QList<QByteArray> &binaries);
    /*! True if something sent now goes out at once (volatile packets are dropped otherwise):
        Open, not switching transports, and polling has no POST in flight / WebSocket is
        connected. */
    bool isWritable() const;
    /*! engine.io-client's _hasPingExpired(): true when not open, or when the server's ping is
        overdue by the wall clock although the heartbeat timer has not fired yet (after the
        machine slept, or the event loop was blocked); the connection then closes ("ping
        timeout") from the next event-loop pass. ClientSocket buffers emits meanwhile. */
    bool hasPingExpired();

    /*! Call from a slot connected to sslErrors(), synchronously, to accept these certificate
        errors; otherwise the request fails ("transport error"). */
    void ignoreSslErrors();

Q_SIGNALS:
    /*! state() changed. */
    void stateChanged(SocketIo::EngineClient::State state);
    /*! The handshake completed (the open packet arrived). */
    void opened();
    /*! A text message (packet 4) arrived; \a utf8 is valid UTF-8. */
    void textMessageReceived(const QByteArray &utf8);
    /*! A binary message arrived. */
    void binaryMessageReceived(const QByteArray &bytes);
    /*! A ping arrived from the server (and the pong went back). */
    void pingReceived();
    /*! The upgrade probe to \a transport started (polling goes on meanwhile; a failed probe
        is only logged and the session stays on polling). */
    void upgrading(const QString &transport);
    /*! The session switched to \a transport. */
    void upgraded(const QString &transport);
    /*! A connection attempt or an open session failed; closed() follows. \a message is
        engine.io-client's: "xhr poll error", "xhr post error", "websocket error",
        "server error" (an Engine.IO packet or payload from the server that cannot be decoded;
        closed() then says "transport error"), "parse error" (an invalid open packet),
        "timeout", or, for a handshake ended otherwise, closed()'s reason (e.g. "transport
        close"). Emitted while state() is still Opening/Open, which tells a
        failed attempt from a failed session. */
    void errorOccurred(const QString &message);
    /*! TLS errors on a polling request or the WebSocket; see ignoreSslErrors(). */
    void sslErrors(const QList<QSslError> &errors);
    /*! The session ended, exactly once per open(): "transport close", "transport error"
        (also after an undecodable packet from the server, as engine.io-client),
        "ping timeout", "parse error" (an invalid open packet), "forced close" (local close()), or "timeout" when the
        handshake never completed. \a description has the details (HTTP status, socket
        error). state() is already Closed. */
    void closed(const QString &reason, const QString &description);
    /*! Everything queued was handed to the transport (polling: the POST completed). Emitted
        from the event loop, never inside a send call. */
    void drained();

private:
    std::unique_ptr<EngineClientPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(EngineClient)
    Q_DISABLE_COPY(EngineClient)
};

} // namespace SocketIo
