#pragma once

#include <SocketIo/disconnectreason.h>
#include <SocketIo/message.h>
#include <SocketIo/socketio_export.h>

#include <QCborArray>
#include <QCborMap>
#include <QCborValue>
#include <QJsonArray>
#include <QObject>
#include <QString>
#include <QVariantList>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>

namespace SocketIo {

class AckReply;
class Client;
class ClientSocketPrivate;

/*!
  An auth callback (socket.io-client's `auth: (cb) => ...`): called before each CONNECT; call
  \a done exactly once, now or later from the event loop, with the auth object to send.
*/
using AuthCallback = std::function<void(const std::function<void(const QCborMap &auth)> &done)>;

/*! Options of a ClientSocket (socket.io-client's socket options). */
struct SOCKETIO_EXPORT ClientSocketOptions
{
    /*! Sent as the CONNECT payload (socket.handshake.auth on the server). CONNECT is plain
        JSON, without binary attachments: byte arrays in it are written as null (with a
        warning); send binary data base64-encoded. */
    QCborMap auth;
    /*! If set, called before every CONNECT instead of using \c auth. */
    SocketIo::AuthCallback authCallback;
    /*! At-least-once delivery: each emit is queued, sent one at a time with an ack id, and
        re-sent up to \c retries times when no ack arrives within its timeout (the emit's own
        timeout given to emitWithAck(), else \c ackTimeout; without either, a try waits for its
        ack for ever) and after a reconnection. Zero disables the queue. A disconnection
        counts as a failed try, so the queue goes on after retries + 1 of them; socket.io-client
        without a timeout counts none and re-sends the same packet on every reconnection. */
    int retries = 0;
    /*! Default ack timeout for the retry queue and for emitWithAck() without an explicit
        timeout (socket.io-client's `ackTimeout`). Unset (the default): no timeout. Zero is a
        real timeout that expires at once (from the event loop), as in socket.io-client.
        (Before, zero meant "none": leave it unset for that now.) */
    std::optional<std::chrono::milliseconds> ackTimeout;
};

/*!
  What socket.io-client's connect_error Error carries besides its message, as far as it maps to
  Qt (ClientSocket::lastConnectError(), Client::lastError()):
  \list
  \li a CONNECT_ERROR from the server (a middleware refusal, "Invalid namespace"): \c message
      and \c data (err.data);
  \li a transport failure (err.type "TransportError": "xhr poll error", "xhr post error",
      "websocket error"): \c transportError, \c httpStatus for a polling request that got an
      HTTP answer (err.description, the XHR's status, e.g. 403 when the server's allowRequest
      refused; 0 without an HTTP answer, and for WebSocket, whose description in
      socket.io-client is an event object), and \c description, our text for the details
      (e.g. "HTTP 403: ...", the socket error, the WebSocket close code);
  \li other errors ("timeout", "server error", "parse error", a closed transport): \c message
      and, where there is one, \c description.
  \endlist
  socket.io-client's err.context (the XHR or WebSocket object) has no equivalent.
*/
struct SOCKETIO_EXPORT ConnectErrorDetails
{
    QString message;
    QCborValue data;              // the server's CONNECT_ERROR data; undefined otherwise
    bool transportError = false;  // socket.io-client's err.type === "TransportError"
    int httpStatus = 0;           // err.description of a polling TransportError; 0: none
    QString description;
};

/*!
  One namespace on a Client's connection (socket.io-client's Socket). Created and owned by
  Client::socket().

  Lifecycle: open() makes the socket active; it joins its namespace whenever the engine is open
  (and again after every reconnection) until close(), a CONNECT_ERROR, or a DISCONNECT from the
  server makes it inactive. connected()/disconnected() report each namespace session.

  Incoming events: eventReceived() (socket.io's onAny), then the handlers registered with on().
  Events the server sends before its CONNECT reply (recovered packets, emits from middlewares)
  are held and delivered when the reply arrives: as in socket.io-client, after isConnected()
  turns true (connectedChanged()) and before connected().

  Outgoing events: while not connected, emits are buffered and flushed after the next connect
  (volatile ones are dropped).
*/
class SOCKETIO_EXPORT ClientSocket : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString id READ id NOTIFY connectedChanged)
    Q_PROPERTY(QString namespaceName READ namespaceName CONSTANT)
    Q_PROPERTY(bool connected READ isConnected NOTIFY connectedChanged)
    Q_PROPERTY(bool active READ isActive NOTIFY activeChanged)
    Q_PROPERTY(bool recovered READ isRecovered NOTIFY connectedChanged)
public:
    /*! Per-emit flags (socket.io-client's socket.volatile / socket.compress(false)). */
    enum EmitFlag {
        NoFlags = 0x0,
        Volatile = 0x1,     // drop the packet unless the transport can take it now (as socket.io-client:
                            // while writable but not joined yet, it waits in the send buffer)
        NoCompress = 0x2,   // accepted; our engine does not compress
    };
    Q_DECLARE_FLAGS(EmitFlags, EmitFlag)
    Q_FLAG(EmitFlags)

    ~ClientSocket() override;

    /*! The socket id given by the server's CONNECT reply; empty while not connected. */
    QString id() const;
    /*! The namespace, e.g. "/" or "/admin". */
    QString namespaceName() const;
    /*! The Client (Manager) this socket belongs to. */
    SocketIo::Client *client() const;
    SocketIo::ClientSocketOptions options() const;

    /*! True from the CONNECT reply until disconnected(). */
    bool isConnected() const;
    /*! True while the socket wants to be connected: after open() until close(), a CONNECT_ERROR,
        or a DISCONNECT from the server (socket.io-client's `active`). Client::close() leaves it
        active: the socket rejoins when the Client opens again. */
    bool isActive() const;
    /*! True if the last connection restored the previous session (connection state recovery:
        the server answered with the same pid). */
    bool isRecovered() const;
    /*! The details of the last connectError() (set before it is emitted, so its slots can read
        them); empty before the first one. */
    SocketIo::ConnectErrorDetails lastConnectError() const;

    /*! Replaces the auth value sent with the next CONNECT (clears an auth callback). */
    void setAuth(const QCborMap &auth);
    /*! Uses \a callback to get the auth value before each CONNECT. */
    void setAuthCallback(const SocketIo::AuthCallback &callback);
    QCborMap auth() const;

    /*! Joins the namespace (socket.connect()): opens the Client's engine if needed. No-op when
        already connected. */
    void open();
    /*! Leaves the namespace (socket.disconnect()): sends DISCONNECT if connected, then
        disconnected(IoClientDisconnect). No automatic reconnection of this socket afterwards;
        when no socket is active any more, the Client closes the engine, even when this socket
        was not active yet (closed before the event loop ran its autoConnect): no idle
        connection is opened then (socket.io-client's destroy() always reaches the Manager). */
    void close();

    /*!
      Sends \a event with \a args (binary values as byte strings). Returns false, sending nothing,
      for a reserved name (connect, connect_error, disconnect, disconnecting, newListener,
      removeListener), more than 10 binary attachments, or a Volatile emit that could not go out
      now (warnings say why). While not connected the packet is buffered (true is returned).
    */
    bool emitEvent(const QString &event, const QCborArray &args = QCborArray(), EmitFlags flags = NoFlags);
    /*! \overload for braced lists: emitEvent(u"x"_s, {1, u"two"_s}). */
    bool emitEvent(const QString &event, std::initializer_list<QCborValue> args, EmitFlags flags = NoFlags);
    /*! \overload */
    bool emitEvent(const QString &event, const QJsonArray &args, EmitFlags flags = NoFlags);
    /*! \overload */
    bool emitEvent(const QString &event, const QVariantList &args, EmitFlags flags = NoFlags);
    /*! Same as emitEvent(u"message"_s, args) (socket.send). */
    bool send(const QCborArray &args = QCborArray(), EmitFlags flags = NoFlags);

    /*!
      Sends \a event with an ack id (per-socket counter from 0). The reply finishes with the
      server's ack arguments, with Error::Timeout ("operation has timed out") after \a timeout
      (socket.io-client's socket.timeout(ms).emit(...)), with Error::Disconnected ("socket has
      been disconnected") if the socket disconnects after sending it (a packet still buffered waits
      for the next connection), or with Error::NotSent if the emit was refused (reserved name, too
      many binaries, dropped volatile). Never null, never finished synchronously.

      \a timeout std::nullopt (the default) means options().ackTimeout (unset there too: no
      timeout). Any other value is used as given: zero times out at once, from the event loop,
      as socket.timeout(0) does. (Before, zero meant "the socket's ackTimeout": omit the
      argument or pass std::nullopt for that now.)

      With the retries option, the emit goes through the retry queue instead: the same timeout
      (\a timeout, else options().ackTimeout) applies to every try, and the reply finishes once
      the server acked or the tries are used up.
    */
    SocketIo::AckReply *emitWithAck(const QString &event, const QCborArray &args = QCborArray(),
                                    std::optional<std::chrono::milliseconds> timeout = std::nullopt,
                                    EmitFlags flags = NoFlags);
    /*! \overload */
    SocketIo::AckReply *emitWithAck(const QString &event, std::initializer_list<QCborValue> args,
                                    std::optional<std::chrono::milliseconds> timeout = std::nullopt,
                                    EmitFlags flags = NoFlags);

    /*! Calls \a handler for every incoming \a event while \a context lives (must be non-null; the
        socket itself is a fine context). Several handlers per event run in registration order. */
    void on(const QString &event, const QObject *context, const SocketIo::EventHandler &handler);
    /*! Removes every handler of \a event. */
    void off(const QString &event);

Q_SIGNALS:
    /*! The namespace accepted the socket (CONNECT reply); id() is set. */
    void connected();
    /*! The socket left its namespace: IoServerDisconnect (the server sent DISCONNECT; no
        reconnection for this socket), IoClientDisconnect (close()), PingTimeout, TransportClose,
        TransportError, ParseError (those four: the Client reconnects and the socket rejoins),
        ForcedClose (Client::close(): the socket stays active and rejoins on Client::open()).
        As in socket.io-client, a connection that closes while the socket waits for its CONNECT
        reply reports disconnected() too (without connectedChanged(), it never was connected). */
    void disconnected(SocketIo::DisconnectReason reason, const QString &description);
    /*! Joining failed: a CONNECT_ERROR from the server (\a message, \a data; the socket becomes
        inactive), or the engine could not connect (the socket stays active and retries with the
        Client's reconnection). lastConnectError() has the details (e.g. the HTTP status). */
    void connectError(const QString &message, const QCborValue &data);
    /*! isConnected() (and id()) changed. */
    void connectedChanged(bool connected);
    /*! isActive() changed. */
    void activeChanged(bool active);
    /*! An event arrived (before on() handlers): socket.io's onAny. Message::ack() answers it. */
    void eventReceived(const SocketIo::Message &message);
    /*! An event is being sent (socket.io's onAnyOutgoing), also for buffered ones when they go out. */
    void eventSent(const QString &event, const QCborArray &args);

private:
    friend class ClientSocketPrivate;
    friend class ClientPrivate;
    explicit ClientSocket(QObject *parent = nullptr);
    std::unique_ptr<ClientSocketPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(ClientSocket)
    Q_DISABLE_COPY(ClientSocket)
};

} // namespace SocketIo

Q_DECLARE_OPERATORS_FOR_FLAGS(SocketIo::ClientSocket::EmitFlags)
