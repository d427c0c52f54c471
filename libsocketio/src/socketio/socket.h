#pragma once

#include <SocketIo/broadcastoperator.h>
#include <SocketIo/disconnectreason.h>
#include <SocketIo/handshake.h>
#include <SocketIo/message.h>
#include <SocketIo/socketio_export.h>

#include <QCborArray>
#include <QCborValue>
#include <QJsonArray>
#include <QObject>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QVariantList>

#include <chrono>
#include <initializer_list>
#include <memory>

namespace SocketIo {

class AckReply;
class EngineSession;
class Namespace;
class SocketPrivate;

/*!
  One client's connection to one namespace (socket.io's server-side Socket). Created by the
  namespace when a CONNECT passes the middlewares; Namespace::connection() announces it.

  Lifetime: after disconnected() the socket is deleted (deleteLater) by its namespace; keep a
  QPointer if you hold it across event-loop turns. Handlers may disconnect or delete other sockets
  while events are being dispatched.

  Incoming events run, in order (as in socket.io): eventReceived() (socket.io's onAny), then the
  packet middlewares (use()), then the handlers registered with on() for that event name. The
  handlers run from the next event-loop pass (socket.io runs them on a later tick than it reads
  the packet) and only while the socket is still connected: an event followed by the socket's
  DISCONNECT in the same payload reaches eventReceived() but no handler.
*/
class SOCKETIO_EXPORT Socket : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString id READ id CONSTANT)
    Q_PROPERTY(bool connected READ isConnected NOTIFY disconnected)
public:
    /*! Per-emit flags (socket.io's socket.volatile / socket.compress(false)). */
    enum EmitFlag {
        NoFlags = 0x0,
        Volatile = 0x1,     // drop the packet if the transport cannot take it right now
        NoCompress = 0x2,   // Engine.IO compress flag off (socket.compress(false)): the packet's
                            // messages ask for no HTTP compression of the polling response that
                            // carries them; it is still compressed when another packet in it asks
                            // (EngineOptions::httpCompression, EngineSession::NoCompress)
    };
    Q_DECLARE_FLAGS(EmitFlags, EmitFlag)
    Q_FLAG(EmitFlags)

    ~Socket() override;

    /*! The socket id (20 characters, base64id), also the name of its own room. Not the Engine.IO sid. */
    QString id() const;
    /*! The namespace the socket belongs to. */
    SocketIo::Namespace *nsp() const;
    /*! The handshake details (headers, query, auth...). */
    SocketIo::Handshake handshake() const;
    /*! The Engine.IO session carrying this socket (null once it is gone). */
    SocketIo::EngineSession *conn() const;
    /*! True from the CONNECT reply until the socket disconnects. */
    bool isConnected() const;
    /*! Connection state recovery (ServerOptions::connectionStateRecovery): true if this socket
        restored a disconnected session, taking over its id, rooms and data; the events it missed
        were written before its CONNECT reply. Set before Namespace::connection() fires (and
        before the middlewares, when they run). */
    bool isRecovered() const;

    /*! Free application data (socket.data): an empty map ({}) until set, as in socket.io, whose
        other nodes and tools expect an object there; shipped with fetchSockets() and kept in the
        session for connection state recovery. */
    QCborValue data() const;
    /*! Replaces data() and emits dataChanged(). */
    void setData(const QCborValue &data);

    /*! The rooms the socket is in, its own id included. */
    QSet<QString> rooms() const;
    /*! Joins \a room (no-op if already in it). Allowed from a connection middleware, before the
        socket is connected: broadcasts reach it once connected; if a middleware refuses it, it
        leaves every room again. Ignored once disconnected. */
    void join(const QString &room);
    /*! \overload
        The rooms are joined in the list's order (Adapter::roomJoined() follows it). */
    void join(const QStringList &rooms);
    /*! Leaves \a room. Allowed from a connection middleware, ignored once disconnected. */
    void leave(const QString &room);

    /*! Sends \a event with \a args. Returns false, sending nothing, for a reserved event name
        (connect, connect_error, disconnect, disconnecting, newListener, removeListener; a warning is
        logged), for more than 10 byte strings in \a args (Socket.IO peers refuse more binary
        attachments; a warning is logged), when disconnected, or when a Volatile packet was dropped. With connection state
        recovery on, a packet that is not Volatile goes through the adapter to the socket's own
        room and carries its offset as an extra last argument. Called from a connection
        middleware, before the socket is connected, the event is written at once and reaches the
        client before the CONNECT reply, as in socket.io. */
    bool emitEvent(const QString &event, const QCborArray &args = QCborArray(), EmitFlags flags = NoFlags);
    /*! \overload for braced lists: emitEvent(u"x"_s, {1, u"two"_s}). */
    bool emitEvent(const QString &event, std::initializer_list<QCborValue> args, EmitFlags flags = NoFlags);
    /*! \overload */
    bool emitEvent(const QString &event, const QJsonArray &args, EmitFlags flags = NoFlags);
    /*! \overload */
    bool emitEvent(const QString &event, const QVariantList &args, EmitFlags flags = NoFlags);
    /*! Same as emitEvent(u"message"_s, args) (socket.send). */
    bool send(const QCborArray &args = QCborArray(), EmitFlags flags = NoFlags);

    /*! Sends \a event with an ack id (from the namespace's counter). The reply finishes with the
        client's ack args, with Error::Timeout after \a timeout (zero: no timeout), with
        Error::Disconnected if the socket disconnects first (or a middleware refuses it), or with
        Error::NotSent for a reserved event name or more than 10 byte strings in \a args. Called
        from a connection middleware, the event reaches the client before the CONNECT reply, and
        the client's ack, sent once it is connected, finishes the reply. Never null, never
        finished synchronously. */
    SocketIo::AckReply *emitWithAck(const QString &event, const QCborArray &args = QCborArray(),
                                    std::chrono::milliseconds timeout = std::chrono::milliseconds::zero(),
                                    EmitFlags flags = NoFlags);
    /*! \overload */
    SocketIo::AckReply *emitWithAck(const QString &event, std::initializer_list<QCborValue> args,
                                    std::chrono::milliseconds timeout = std::chrono::milliseconds::zero(),
                                    EmitFlags flags = NoFlags);

    /*! Calls \a handler for every incoming \a event while \a context lives (it must be non-null;
        the socket itself is a fine context). Several handlers per event run in registration order. */
    void on(const QString &event, const QObject *context, const SocketIo::EventHandler &handler);
    /*! Removes every handler of \a event. */
    void off(const QString &event);
    /*! Adds a packet middleware (socket.use): runs for each incoming event before dispatch; refusing
        drops the packet and emits errorOccurred(). */
    void use(const SocketIo::PacketMiddleware &middleware);

    /*! Everyone in the namespace except this socket (socket.broadcast). */
    SocketIo::BroadcastOperator broadcast() const;
    /*! The sockets in \a room except this one (socket.to(room)). */
    SocketIo::BroadcastOperator to(const QString &room) const;
    /*! \overload */
    SocketIo::BroadcastOperator to(const QStringList &rooms) const;
    /*! Same as to(). */
    SocketIo::BroadcastOperator in(const QString &room) const;
    /*! Everyone in the namespace except this socket and the sockets in \a room. */
    SocketIo::BroadcastOperator except(const QString &room) const;

    /*! Leaves the namespace: sends DISCONNECT, reason ServerNamespaceDisconnect. With \a close, the
        client's other namespaces get DISCONNECT too and the Engine.IO session is closed. */
    void disconnect(bool close = false);
    /*! QObject's member disconnect() overloads are hidden by disconnect(bool); this keeps
        socket->disconnect(receiver) from silently meaning disconnect(true). Use
        QObject::disconnect(socket, ...) for signal connections. */
    template<typename T>
    void disconnect(T *) = delete;

Q_SIGNALS:
    /*! An event arrived (before packet middlewares and on() handlers): socket.io's onAny. */
    void eventReceived(const SocketIo::Message &message);
    /*! An event is being sent to this client, directly or by a broadcast: socket.io's onAnyOutgoing. */
    void eventSent(const QString &event, const QCborArray &args);
    /*! The socket is about to leave; rooms() still holds its rooms. */
    void disconnecting(SocketIo::DisconnectReason reason, const QString &description);
    /*! The socket left the namespace; it is deleted later. */
    void disconnected(SocketIo::DisconnectReason reason, const QString &description);
    /*! setData() was called (even with an equal value): what the Admin UI instrumentation reports
        as socket_updated. Not emitted for the data a recovered session brings back. */
    void dataChanged();
    /*! socket.io's socket "error" event: a packet middleware refused a packet, or the connection
        got undecodable input (then it closes). */
    void errorOccurred(const QString &message, const QCborValue &data);

private:
    friend class SocketPrivate;
    friend class NamespacePrivate;
    friend class ServerClient;
    explicit Socket(QObject *parent = nullptr);
    std::unique_ptr<SocketPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(Socket)
    Q_DISABLE_COPY(Socket)
};

} // namespace SocketIo

Q_DECLARE_OPERATORS_FOR_FLAGS(SocketIo::Socket::EmitFlags)
