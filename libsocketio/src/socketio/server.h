#pragma once

#include <SocketIo/broadcastoperator.h>
#include <SocketIo/message.h>
#include <SocketIo/serveroptions.h>
#include <SocketIo/socketio_export.h>

#include <QCborArray>
#include <QCborMap>
#include <QHostAddress>
#include <QJsonArray>
#include <QList>
#include <QObject>
#include <QRegularExpression>
#include <QString>
#include <QVariantList>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>

namespace SocketIo {

class AckReply;
class EngineServer;
class Namespace;
class Socket;
class ServerPrivate;

/*!
  Decides whether a dynamic namespace accepts the name \a name (with the CONNECT's \a auth): call
  \a accept(true/false) once, now or later.
*/
using NamespaceMatcher = std::function<void(const QString &name, const QCborMap &auth,
                                            const std::function<void(bool accept)> &accept)>;

/*!
  The Socket.IO v4 server (socket.io's Server): namespaces, sockets, rooms and broadcasts on top of
  an Engine.IO server. Everything runs on the thread that owns it.

  \code
  SocketIo::Server io;
  io.listen(QHostAddress::Any, 3000);
  QObject::connect(&io, &SocketIo::Server::connection, &io, [](SocketIo::Socket *socket) {
      socket->on(u"hello"_s, socket, [](const SocketIo::Message &m) { m.ack({u"world"_s}); });
  });
  \endcode

  The broadcast and utility functions (to(), emitEvent(), fetchSockets(), ...) act on the main
  namespace "/".
*/
class SOCKETIO_EXPORT Server : public QObject
{
    Q_OBJECT
public:
    explicit Server(QObject *parent = nullptr);
    explicit Server(const SocketIo::ServerOptions &options, QObject *parent = nullptr);
    ~Server() override;

    /*! Options take effect for the engine at the next listen()/attach(), for namespaces at once.
        Turning connectionStateRecovery on or off (without a custom adapter factory) re-creates the
        default adapter of every namespace that has no sockets yet. */
    void setOptions(const SocketIo::ServerOptions &options);
    SocketIo::ServerOptions options() const;

    /*! Starts an owned Engine.IO server on \a address:\a port (default: dual-stack any address;
        port 0 picks one, see serverPort()). */
    bool listen(const QHostAddress &address = QHostAddress::Any, quint16 port = 0);
    /*! Serves the sessions of an existing engine instead (not owned; its options are left as they
        are). Call before listen(); returns false if already listening or attached. */
    bool attach(SocketIo::EngineServer *engine);
    /*! The Engine.IO server in use (null before listen()/attach()). */
    SocketIo::EngineServer *engine() const;
    /*! The index of the ServerWorkers worker this server is (the index its setup function
        gets), -1 for a server of its own. */
    int workerIndex() const;
    bool isListening() const;
    quint16 serverPort() const;
    QString errorString() const;

    /*! Disconnects every socket with reason ServerShuttingDown, closes the adapters and the
        sessions, and stops listening (an attached engine is closed too). */
    void close();

    /*! The namespace \a name, created if needed ("chat" is normalised to "/chat"). As socket.io's
        io.of(name): a new name that a parent made by of(QRegularExpression) matches is created
        as that parent's child (the first such parent), so its middlewares, connection signal
        and broadcasts apply as if a client had opened it; parents made from a matcher function
        are not asked. A child returned here is kept when it empties (cleanupEmptyChildNamespaces
        removes only children that clients alone opened), so the pointer stays valid. */
    SocketIo::Namespace *of(const QString &name);
    /*! A parent namespace accepting every name \a pattern matches anywhere, like JavaScript's
        RegExp.test() (anchor it yourself: ^/dynamic-\\d+$). */
    SocketIo::Namespace *of(const QRegularExpression &pattern);
    /*! A parent namespace accepting the names \a matcher accepts. */
    SocketIo::Namespace *of(const SocketIo::NamespaceMatcher &matcher);
    /*! The main namespace "/" (io.sockets). */
    SocketIo::Namespace *sockets();
    /*! The existing namespace \a name, or null (no creation). */
    SocketIo::Namespace *findNamespace(const QString &name) const;
    /*! Every existing namespace (not the parents). */
    QList<SocketIo::Namespace *> namespaces() const;

    /*! Adds a connection middleware to "/" (io.use). */
    void use(const SocketIo::Middleware &middleware);

    /*! Broadcast operators on "/". */
    SocketIo::BroadcastOperator to(const QString &room);
    SocketIo::BroadcastOperator to(const QStringList &rooms);
    SocketIo::BroadcastOperator in(const QString &room);
    SocketIo::BroadcastOperator except(const QString &room);
    SocketIo::BroadcastOperator except(const QStringList &rooms);
    SocketIo::BroadcastOperator local();
    SocketIo::BroadcastOperator asVolatile();
    SocketIo::BroadcastOperator compress(bool compress);
    SocketIo::BroadcastOperator timeout(std::chrono::milliseconds timeout);

    /*! Sends \a event to every socket of "/". */
    bool emitEvent(const QString &event, const QCborArray &args = QCborArray());
    /*! \overload */
    bool emitEvent(const QString &event, std::initializer_list<QCborValue> args);
    /*! \overload */
    bool emitEvent(const QString &event, const QJsonArray &args);
    /*! \overload */
    bool emitEvent(const QString &event, const QVariantList &args);
    /*! Same as emitEvent(u"message"_s, args). */
    bool send(const QCborArray &args = QCborArray());
    /*! Broadcast with acknowledgements on "/". */
    SocketIo::AckReply *emitWithAck(const QString &event, const QCborArray &args,
                                    std::chrono::milliseconds timeout);
    /*! See BroadcastOperator. */
    void fetchSockets(const QObject *context,
                      const std::function<void(const QList<SocketIo::RemoteSocket> &sockets)> &callback);
    void socketsJoin(const QStringList &rooms);
    void socketsLeave(const QStringList &rooms);
    void disconnectSockets(bool close = false);
    /*! See Namespace::serverSideEmit(). */
    bool serverSideEmit(const QString &event, const QCborArray &args = QCborArray());
    /*! See Namespace::serverSideEmitWithAck() (on the main namespace "/"). */
    void serverSideEmitWithAck(const QString &event, const QCborArray &args, const QObject *context,
                               const std::function<void(const QString &error, const QCborArray &responses)> &callback);

Q_SIGNALS:
    /*! A socket connected to "/" (io.on("connection")). */
    void connection(SocketIo::Socket *socket);
    /*! A namespace other than "/" was created (socket.io's "new_namespace"), static or dynamic child. */
    void newNamespace(SocketIo::Namespace *nsp);

private:
    friend class ServerPrivate;
    friend class NamespacePrivate;
    friend class ServerClient;
    std::unique_ptr<ServerPrivate> const d_ptr;
    Q_DECLARE_PRIVATE(Server)
    Q_DISABLE_COPY(Server)
};

} // namespace SocketIo
