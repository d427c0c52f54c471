#pragma once

#include <SocketIo/clientsocket.h>
#include <SocketIo/disconnectreason.h>
#include <SocketIo/engineclient.h>
#include <SocketIo/socketio_export.h>

#include <QList>
#include <QObject>
#include <QSslError>
#include <QString>
#include <QUrl>

#include <chrono>
#include <memory>
#include <optional>

namespace SocketIo {

class ClientPrivate;

/*!
  Options of a Client (socket.io-client's Manager options, protocol.md 4.2): the Engine.IO client
  options it inherits (with path "/socket.io/" instead of "/engine.io/") plus reconnection and
  connection settings, all with socket.io-client's defaults.

  The inherited EngineClientOptions::connectTimeout is not used: \c timeout is the connect timeout.
  Inherited options that matter here too: \c query (replaced by the URL's query when the URL has
  one, as in socket.io-client) and \c withCredentials (default false: no cookies; true: the
  cookies the server sets are kept per connection attempt and sent with polling requests and
  the WebSocket upgrade).

  As in socket.io-client (`x || default`), a zero reconnectionAttempts, reconnectionDelay or
  reconnectionDelayMax means the default (unlimited, 1000 ms, 5000 ms), not zero; options()
  reports the values in effect.
*/
struct SOCKETIO_EXPORT ClientOptions : public EngineClientOptions
{
    /*! socket.io-client's defaults; path is "/socket.io/". */
    ClientOptions();

    /*! Reconnect automatically after the connection is lost or an attempt failed. */
    bool reconnection = true;
    /*! How many reconnection attempts before reconnectFailed(); negative means unlimited (the
        default, socket.io-client's Infinity), and so does zero (socket.io-client's
        `reconnectionAttempts || Infinity`). */
    int reconnectionAttempts = -1;
    /*! First reconnection delay; doubled at each attempt (Backoff min). Zero means the default
        1000 ms (socket.io-client's `reconnectionDelay || 1000`). */
    std::chrono::milliseconds reconnectionDelay{1000};
    /*! Upper bound of the reconnection delay (Backoff max). Zero means the default 5000 ms
        (socket.io-client's `reconnectionDelayMax || 5000`). */
    std::chrono::milliseconds reconnectionDelayMax{5000};
    /*! Jitter: each delay varies by up to this fraction, up or down (0 to 1). */
    double randomizationFactor = 0.5;
    /*! How long an Engine.IO handshake may take before the attempt fails with "timeout"
        (errorOccurred("timeout"), connectError("timeout") on the active sockets, then the
        normal reconnection). std::nullopt disables it (socket.io-client's `timeout: false`);
        zero fails every attempt at once, from the event loop, as socket.io-client's 0 ms
        timer does. (Before, zero disabled the timeout: use std::nullopt for that now.) */
    std::optional<std::chrono::milliseconds> timeout{std::chrono::milliseconds(20000)};
    /*! Open the connection by itself once control returns to the event loop (never inside the
        constructor). When false, call Client::open() or ClientSocket::open(). */
    bool autoConnect = true;
};

/*!
  The Socket.IO v4 client connection (socket.io-client's Manager): one Engine.IO connection to
  \a url, multiplexing one ClientSocket per namespace, with automatic reconnection.

  \code
  SocketIo::Client client(QUrl(u"http://localhost:3000"_s));
  SocketIo::ClientSocket *socket = client.socket();          // the main namespace "/"
  QObject::connect(socket, &SocketIo::ClientSocket::connected, socket, [socket] {
      socket->emitEvent(u"hello"_s, {u"world"_s});
  });
  \endcode

  With autoConnect (the default) the connection opens from the event loop after the constructor
  returns, and every socket() created before or after that joins its namespace as soon as the
  engine is open. Reconnection delays follow socket.io-client's Backoff exactly (min * 2^attempt,
  jitter, capped at max) and reset after a successful connection. Reconnection happens after
  "ping timeout", "transport close", "transport error", "parse error" and after a failed attempt;
  never after close(), nor once every socket was closed by the application.

  Everything runs on the thread that owns the object.
*/
class SOCKETIO_EXPORT Client : public QObject
{
    Q_OBJECT
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(QUrl url READ url CONSTANT)
public:
    /*! Connection state. */
    enum class State {
        Closed,         // not connected and not trying to
        Opening,        // an Engine.IO handshake is in progress (first connection or a reconnect attempt)
        Open,           // the Engine.IO session is open
        Reconnecting,   // waiting for the delay before the next reconnection attempt
    };
    Q_ENUM(State)

    /*! A client for the server at \a url (http, https, ws or wss). The engine path comes from
        \a options (\c path, "/socket.io/" by default); the URL's path, as in socket.io-client's
        io("http://host/admin"), is the namespace of socket() called without a name. The URL's
        query, if any, replaces options.query. */
    explicit Client(const QUrl &url, const SocketIo::ClientOptions &options = SocketIo::ClientOptions(),
                    QObject *parent = nullptr);
    /*! Closes the connection (no signals from the sockets after that) and deletes the sockets. */
    ~Client() override;

    QUrl url() const;
    SocketIo::ClientOptions options() const;
    /*! Replaces the options from the next connection attempt on, as socket.io-client's mutable
        `manager.opts` and its reconnection setters: a slot on reconnectAttempt() that sets a
        fresh \c query token or \c extraHeaders reaches the server with the attempt that
        follows; the reconnection settings apply from the next delay (attempts so far still
        count). The connection already open or opening keeps what it started with, and
        \c autoConnect only matters to the constructor. Zero reconnection values mean the defaults,
        as in the constructor. A query in the URL still replaces \c query. */
    void setOptions(const SocketIo::ClientOptions &options);
    State state() const;

    /*!
      The socket for namespace \a nsp (a name without a leading '/' gets one), created on first
      use with \a options (later calls return the same socket and ignore \a options). Owned by
      the Client. With autoConnect, a new socket opens itself from the event loop.

      An empty \a nsp (the default) means the path of the Client's URL when it is neither empty
      nor "/" (socket.io-client's io("http://host/admin") joins "/admin"), else "/". Pass "/"
      explicitly for the main namespace whatever the URL.
    */
    SocketIo::ClientSocket *socket(const QString &nsp = QString(),
                                   const SocketIo::ClientSocketOptions &options = SocketIo::ClientSocketOptions());
    /*! Every socket created by socket(). */
    QList<SocketIo::ClientSocket *> sockets() const;

    /*! Opens the Engine.IO connection if it is closed (socket.io-client's manager.open()); once
        it is open, every active socket joins its namespace (sends its CONNECT), so after close()
        this brings back every socket that was active. Inactive sockets (never opened, closed by
        ClientSocket::close(), refused, or disconnected by the server) stay out: open them with
        ClientSocket::open(). Also cancels a pending reconnection delay and tries now. No-op while
        opening or open. */
    void open();
    /*!
      Closes the connection on purpose (socket.io-client's manager.disconnect(), Manager._close()):
      \list
      \li any pending reconnection delay is cancelled and no reconnection is scheduled;
      \li the engine closes (the server sees its sockets leave with "transport close"); no
          DISCONNECT packet is sent;
      \li closed(ForcedClose) is emitted, then every active socket gets disconnected(ForcedClose,
          "") (also a socket still waiting for its CONNECT reply, and again on every further
          close(), as socket.io-client's Manager emits "close" each time), and its pending acks
          fail with Disconnected;
      \li the sockets stay active (isActive() true, a socket whose autoConnect had not run yet
          included): open() or ClientSocket::open() later reconnects every one of them.
      \endlist
      To leave one namespace for good (reason IoClientDisconnect, DISCONNECT sent, socket
      inactive) use ClientSocket::close(); closing the last active socket closes the Client too.
      (Before, close() closed every socket this way; call ClientSocket::close() on each socket
      first for that behaviour.)
    */
    void close();
    /*! close(), then deletes this Client once what its engines were still sending has gone out
        (e.g. the DISCONNECT of a socket closed just before, or the close packet after a ping
        timeout: deleting the Client at once cuts that short, and the server sees "transport
        error"), at the latest after \a grace. Use it
        instead of \c delete for a Client whose sockets were just closed.

        The deletion always comes from the event loop, never inside the call: at the next pass
        when nothing is left to send (never opened, the attempt failed, already closed); on
        WebSocket once the operating system has taken the bytes (QWebSocket does not wait for the
        server's close frame); on polling once the server has answered the last POST, so a server
        that stops answering keeps the Client until \a grace. */
    void closeAndDeleteLater(std::chrono::milliseconds grace = std::chrono::seconds(10));

    /*! The Engine.IO client in use (e.g. for transportName()); a new one is created for every
        connection attempt. Owned by the Client; do not open or close it directly. */
    SocketIo::EngineClient *engine() const;

    /*! The details of the last errorOccurred() (set before it is emitted): the HTTP status of
        a refused polling request, the description, see ConnectErrorDetails. Empty before the
        first error. */
    SocketIo::ConnectErrorDetails lastError() const;

    /*! Accepts the certificate errors being reported: call it synchronously from a slot
        connected to sslErrors() (it applies to that one TLS handshake only; later handshakes,
        e.g. a reconnection or the WebSocket upgrade, report their errors again). Without it,
        certificate errors fail the connection attempt. */
    void ignoreSslErrors();

Q_SIGNALS:
    void stateChanged(SocketIo::Client::State state);
    /*! The Engine.IO session opened (socket.io-client's "open"). */
    void opened();
    /*! The Engine.IO session closed, with the engine's reason: PingTimeout, TransportClose,
        TransportError (also after an undecodable Engine.IO packet, reported as errorOccurred(
        "server error") first), ParseError (a Socket.IO packet the client could not decode),
        ForcedClose (close(), or the last socket closed; emitted by every close(), even when no
        engine was open, as socket.io-client's Manager does). Reconnection, if any, starts after. */
    void closed(SocketIo::DisconnectReason reason, const QString &description);
    /*! A connection attempt failed (socket.io-client's "error"): e.g. "timeout", a refused
        connection, an HTTP error, "server error" (an undecodable Engine.IO packet; the session
        then closes with TransportError). Active sockets get connectError() too while not
        connected. lastError() has the details (e.g. the HTTP status). */
    void errorOccurred(const QString &message);
    /*! Reconnection attempt number \a attempt (1, 2, ...) starts now. */
    void reconnectAttempt(int attempt);
    /*! A reconnection succeeded after \a attempt attempts. */
    void reconnected(int attempt);
    /*! A reconnection attempt failed. */
    void reconnectError(const QString &message);
    /*! reconnectionAttempts were all used up: the client stops trying (state Closed). */
    void reconnectFailed();
    /*! The server pinged (the pong went back). */
    void pingReceived();
    /*! TLS certificate errors on an https/wss connection of the current engine (a polling
        request, the WebSocket or the upgrade probe), forwarded from EngineClient::sslErrors().
        The handshake fails (errorOccurred(), then reconnection as for any failed attempt) unless
        a slot calls ignoreSslErrors() before returning. Trusted certificates (e.g. a private CA)
        belong in ClientOptions::sslConfiguration instead. */
    void sslErrors(const QList<QSslError> &errors);

private:
    friend class ClientSocketPrivate;
    std::unique_ptr<ClientPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(Client)
    Q_DISABLE_COPY(Client)
};

} // namespace SocketIo
