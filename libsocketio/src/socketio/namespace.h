#pragma once

#include <SocketIo/broadcastoperator.h>
#include <SocketIo/message.h>
#include <SocketIo/socketio_export.h>

#include <QCborArray>
#include <QCborMap>
#include <QJsonArray>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QVariantList>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>

namespace SocketIo {

class Adapter;
class AckReply;
class Server;
class Socket;
class NamespacePrivate;

/*!
  A Socket.IO namespace (socket.io's Namespace): a named group of sockets with its own
  middlewares, adapter (rooms) and broadcast operators. Obtained from Server::of(); owned by the
  server.

  A namespace created by Server::of(regex) or Server::of(matcher) is a parent: it has no sockets
  itself; each name it accepts becomes a child namespace that runs the parent's middlewares first
  and whose connections are also announced by the parent's connection() signal. Broadcasting on a
  parent broadcasts on every child.
*/
class SOCKETIO_EXPORT Namespace : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString name READ name CONSTANT)
public:
    ~Namespace() override;

    /*! The name, e.g. "/" or "/chat" (parents: "/_0", "/_1", ...). */
    QString name() const;
    SocketIo::Server *server() const;
    /*! The adapter holding this namespace's rooms. */
    SocketIo::Adapter *adapter() const;
    /*! For a child of a dynamic namespace, its parent; else null. */
    SocketIo::Namespace *parentNamespace() const;
    /*! True for a namespace created by Server::of(regex) / of(matcher). */
    bool isParent() const;
    /*! The children of a parent namespace. */
    QList<SocketIo::Namespace *> children() const;

    /*! Adds a connection middleware; middlewares run in order for every new socket. */
    void use(const SocketIo::Middleware &middleware);

    /*! The connected sockets of this namespace, in connection order. */
    QList<SocketIo::Socket *> sockets() const;
    /*! The connected socket \a id, or null. */
    SocketIo::Socket *socket(const QString &id) const;
    /*! Number of connected sockets. */
    int socketCount() const;

    /*! Broadcast operators, see BroadcastOperator. */
    SocketIo::BroadcastOperator to(const QString &room) const;
    SocketIo::BroadcastOperator to(const QStringList &rooms) const;
    SocketIo::BroadcastOperator in(const QString &room) const;
    SocketIo::BroadcastOperator in(const QStringList &rooms) const;
    SocketIo::BroadcastOperator except(const QString &room) const;
    SocketIo::BroadcastOperator except(const QStringList &rooms) const;
    SocketIo::BroadcastOperator local() const;
    SocketIo::BroadcastOperator asVolatile() const;
    SocketIo::BroadcastOperator compress(bool compress) const;
    SocketIo::BroadcastOperator timeout(std::chrono::milliseconds timeout) const;
    /*! The operator over every socket of the namespace. */
    SocketIo::BroadcastOperator all() const;

    /*! Sends \a event to every socket of the namespace (io.emit / nsp.emit). */
    bool emitEvent(const QString &event, const QCborArray &args = QCborArray());
    /*! \overload */
    bool emitEvent(const QString &event, std::initializer_list<QCborValue> args);
    /*! \overload */
    bool emitEvent(const QString &event, const QJsonArray &args);
    /*! \overload */
    bool emitEvent(const QString &event, const QVariantList &args);
    /*! Same as emitEvent(u"message"_s, args). */
    bool send(const QCborArray &args = QCborArray());
    /*! Broadcast with acknowledgements, see BroadcastOperator::emitWithAck(). */
    SocketIo::AckReply *emitWithAck(const QString &event, const QCborArray &args,
                                    std::chrono::milliseconds timeout);

    /*! See BroadcastOperator::fetchSockets(). */
    void fetchSockets(const QObject *context,
                      const std::function<void(const QList<SocketIo::RemoteSocket> &sockets)> &callback) const;
    /*! Every socket of the namespace joins \a rooms. */
    void socketsJoin(const QStringList &rooms);
    /*! Every socket of the namespace leaves \a rooms. */
    void socketsLeave(const QStringList &rooms);
    /*! Disconnects every socket of the namespace. */
    void disconnectSockets(bool close = false);

    /*! Sends [event, ...args] to the other server nodes through the adapter (socket.io's
        serverSideEmit). Refuses connect, connection and new_namespace. With the in-memory adapter
        there are no other nodes: returns false with a warning. */
    bool serverSideEmit(const QString &event, const QCborArray &args = QCborArray());

    /*! Gets the answers of serverSideEmitWithAck(): \a error is empty when every other node
        answered, else socket.io's error text ("timeout reached: only 1 responses received out of
        2"); \a responses holds the answers that arrived (the first ack argument of each node). */
    using ServerSideAckCallback = std::function<void(const QString &error, const QCborArray &responses)>;
    /*! socket.io's serverSideEmit with an acknowledgement: sends [event, ...args] to the other
        server nodes and calls \a callback once with their answers, always later from the event
        loop, never inside this call; not at all if \a context is destroyed first. The adapter's
        timeout applies (RedisAdapterOptions::requestsTimeout). Reserved names (connect,
        connection, new_namespace) and the single-node adapter call back with an error. */
    void serverSideEmitWithAck(const QString &event, const QCborArray &args, const QObject *context,
                               const ServerSideAckCallback &callback);

    /*! The answer function of serverSideEventWithAckReceived(): sends \a response back to the
        node that emitted (only the first call sends; JavaScript nodes get one argument too). */
    using ServerSideAck = std::function<void(const QCborValue &response)>;

Q_SIGNALS:
    /*! A socket connected (socket.io's "connection" / "connect"). Its CONNECT reply is already queued. */
    void connection(SocketIo::Socket *socket);
    /*! A server-side event from another node (serverSideEmit), with its args. Emitted for every
        such event, whether or not the sender waits for an answer. */
    void serverSideEventReceived(const QString &event, const QCborArray &args);
    /*! A server-side event whose sender waits for an answer (serverSideEmitWithAck, or
        serverSideEmit with a callback on a Node.js node): call \a ack once, now or later, to
        answer. Emitted right after serverSideEventReceived() for the same event. */
    void serverSideEventWithAckReceived(const QString &event, const QCborArray &args,
                                        const SocketIo::Namespace::ServerSideAck &ack);

private:
    friend class NamespacePrivate;
    friend class Server;
    friend class ServerPrivate;
    explicit Namespace(SocketIo::Server *server, const QString &name);
    std::unique_ptr<NamespacePrivate> const d_ptr;
    Q_DECLARE_PRIVATE(Namespace)
    Q_DISABLE_COPY(Namespace)
};

} // namespace SocketIo
