#include "namespace.h"

#include "ackreply_p.h"
#include "logging_p.h"
#include "namespace_p.h"
#include "server_p.h"
#include "serverclient_p.h"
#include "socket_p.h"
#include "util_p.h"

#include "protocol/json.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/adapter.h>
#include <SocketIo/inmemoryadapter.h>
#include <SocketIo/sessionawareadapter.h>
#include <SocketIo/socket.h>

#include <QScopeGuard>

#include <memory>

namespace SocketIo {

void NamespacePrivate::createAdapter()
{
    Q_Q(Namespace);
    if (adapter) {
        adapter->close();
        delete adapter;
        adapter = nullptr;
    }
    const ServerOptions &options = ServerPrivate::get(server)->options;
    if (options.adapter)
        adapter = options.adapter(q);
    if (!adapter) {
        if (options.connectionStateRecovery.enabled)
            adapter = new SessionAwareAdapter(q);
        else
            adapter = new InMemoryAdapter(q);
    }
    if (adapter->parent() != q)
        adapter->setParent(q);
    adapter->init();
}

QList<Middleware> NamespacePrivate::allMiddlewares() const
{
    QList<Middleware> fns;
    if (parent)
        fns = NamespacePrivate::get(parent)->allMiddlewares();
    fns += middlewares;
    return fns;
}

void NamespacePrivate::add(ServerClient *client, const QCborMap &auth)
{
    Q_Q(Namespace);
    const QCborValue pid = auth.value(QStringLiteral("pid"));
    const QCborValue offset = auth.value(QStringLiteral("offset"));
    if (!ServerPrivate::get(server)->options.connectionStateRecovery.enabled || !pid.isString()
        || !offset.isString() || !adapter) {
        addSocket(client, auth, QCborMap());
        return;
    }
    QPointer<ServerClient> clientGuard(client);
    QPointer<Namespace> nspGuard(q);
    auto answered = std::make_shared<bool>(false);
    adapter->restoreSession(pid.toString(), offset.toString(),
                            [clientGuard, nspGuard, auth, answered](const QCborMap &restored) {
        if (*answered) {
            qCWarning(lcAdapter, "restoreSession answered more than once; ignored");
            return;
        }
        *answered = true;
        if (!nspGuard)
            return;
        if (!clientGuard || !clientGuard->isOpen()) {
            // restoreSession handed the session over: give it back so the client can try again
            qCDebug(lcServer, "connection closed while its session was being restored");
            if (!restored.isEmpty() && nspGuard->adapter()) {
                QCborMap session = restored;
                session.remove(QStringLiteral("missedPackets"));
                nspGuard->adapter()->persistSession(session);
            }
            return;
        }
        NamespacePrivate *d = NamespacePrivate::get(nspGuard);
        QCborMap session = restored;
        const QString sid = session.value(QStringLiteral("sid")).toString();
        if (!session.isEmpty() && (sid.isEmpty() || session.value(QStringLiteral("pid")).toString().isEmpty())) {
            qCWarning(lcServer, "%s: restored session without sid or pid; connecting as a new session",
                      qUtf8Printable(d->name));
            session = QCborMap();
        } else if (!session.isEmpty() && d->socketsById.contains(sid)) {
            // a custom adapter may restore a session twice: two live sockets must not share an id
            qCWarning(lcServer, "%s: restored session %s is connected already; connecting as a new session",
                      qUtf8Printable(d->name), qUtf8Printable(sid));
            session = QCborMap();
        }
        qCDebug(lcServer, "%s: connection state %s", qUtf8Printable(d->name),
                session.isEmpty() ? "not recovered" : "recovered");
        d->addSocket(clientGuard, auth, session);
    });
}

namespace {
// Counts a connection as pending while its middlewares run, until settled or destroyed (the last
// copy of the middlewares' continuation dropped without being called): then an empty child
// namespace may go (NamespacePrivate::removeIfEmptyChild()).
struct PendingConnect
{
    QPointer<Namespace> nsp;
    explicit PendingConnect(Namespace *n) : nsp(n) { ++NamespacePrivate::get(n)->pendingConnects; }
    ~PendingConnect() { settle(); }
    void settle()
    {
        if (!nsp)
            return;
        NamespacePrivate *d = NamespacePrivate::get(std::exchange(nsp, nullptr));
        --d->pendingConnects;
        d->removeIfEmptyChild();
    }
    Q_DISABLE_COPY(PendingConnect)
};
} // namespace

void NamespacePrivate::addSocket(ServerClient *client, const QCborMap &auth, const QCborMap &session)
{
    Q_Q(Namespace);
    // the handshake is built from these when first asked for (SocketPrivate::ensureHandshake)
    Socket *socket = SocketPrivate::create(q, client, client->session()->request(), auth, session);
    const ConnectionStateRecoveryOptions &csr = ServerPrivate::get(server)->options.connectionStateRecovery;
    QList<Middleware> fns;
    if (!(socket->isRecovered() && csr.skipMiddlewares && client->isOpen()))
        fns = allMiddlewares();
    if (fns.isEmpty()) {
        // nothing runs before the verdict: no continuation to build and keep (the connection
        // counts as pending for the duration of the call, as it would while middlewares run)
        const PendingConnect pending(q);
        finishConnect(socket, client, true, MiddlewareError());
        return;
    }
    QPointer<Socket> socketGuard(socket);
    QPointer<ServerClient> clientGuard(client);
    QPointer<Namespace> nspGuard(q);
    auto pending = std::make_shared<PendingConnect>(q);
    runMiddlewares(socket, fns, 0, [socketGuard, clientGuard, nspGuard, pending](bool ok, const MiddlewareError &error) {
        // whatever happens below, this connection is no longer pending once the lambda returns
        // (the socket is then in the namespace's list, or gone)
        const auto settled = qScopeGuard([&pending] { pending->settle(); });
        if (!socketGuard || !nspGuard)
            return;
        NamespacePrivate::get(nspGuard)->finishConnect(socketGuard, clientGuard, ok, error);
    });
}

void NamespacePrivate::finishConnect(Socket *socket, ServerClient *client, bool ok, const MiddlewareError &error)
{
    Q_Q(Namespace);
    if (!client || !client->isOpen()) {
        qCDebug(lcServer, "middlewares finished after the connection closed; socket dropped");
        SocketPrivate::get(socket)->abandon();
        socket->deleteLater();
        return;
    }
    // slots of the adapter's signals (leaving or joining rooms) and of the connection signals
    // run below: any of these may go meanwhile
    QPointer<ServerClient> clientGuard(client);
    const QString nspName = name;
    if (!ok) {
        Protocol::Packet packet;
        packet.type = Protocol::PacketType::ConnectError;
        packet.nsp = name;
        QCborMap data;
        data.insert(QStringLiteral("message"), error.message);
        if (!error.data.isUndefined())
            data.insert(QStringLiteral("data"), error.data);
        if (Protocol::Json::hasBinary(error.data))
            qCWarning(lcServer, "the refusal's data for namespace \"%s\" holds byte arrays: CONNECT_ERROR is "
                      "plain JSON, they go as null (encode binary data as base64)", qUtf8Printable(name));
        packet.data = data;
        client->writePacket(packet);
        // a recovering client refused now (an expired token, say) may recover on its next try
        SocketPrivate::get(socket)->abandon();
        socket->deleteLater();
        if (clientGuard)
            clientGuard->onNamespaceConnected(nspName, nullptr);
        return;
    }
    sockets.append(socket);
    socketsById.insert(socket->id(), socket);
    QPointer<Socket> socketGuard(socket);
    QPointer<Namespace> nspGuard(q);
    SocketPrivate::get(socket)->onConnect();
    if (clientGuard)
        clientGuard->onNamespaceConnected(nspName, socket);
    if (!socketGuard || !nspGuard)
        return;
    QPointer<Namespace> parentNsp = parent;
    Server *srv = server;
    const bool isMain = nspName == QLatin1String("/");
    Q_EMIT q->connection(socket);
    if (parentNsp && socketGuard)
        Q_EMIT parentNsp->connection(socket);
    if (nspGuard && socketGuard && isMain && srv)
        Q_EMIT srv->connection(socket);
}

void NamespacePrivate::runMiddlewares(Socket *socket, const QList<Middleware> &fns, int index,
                                      const std::function<void(bool, const MiddlewareError &)> &done)
{
    if (index >= fns.size()) {
        done(true, MiddlewareError());
        return;
    }
    QPointer<Socket> guard(socket);
    QPointer<Namespace> nspGuard(q_ptr);
    fns.at(index)(socket, Next([guard, nspGuard, fns, index, done](bool ok, const MiddlewareError &error) {
        if (!guard || !nspGuard)
            return;
        if (!ok) {
            done(false, error);
            return;
        }
        NamespacePrivate::get(nspGuard)->runMiddlewares(guard, fns, index + 1, done);
    }));
}

bool NamespacePrivate::addBroadcastAckTarget(qint64 ackId, Socket *socket)
{
    auto it = broadcastAcks.find(ackId);
    if (it == broadcastAcks.end())
        return false;
    it->append(socket);
    return true;
}

void NamespacePrivate::closeBroadcastAck(qint64 ackId)
{
    const QList<QPointer<Socket>> waiting = broadcastAcks.take(ackId);
    for (const QPointer<Socket> &socket : waiting) {
        if (socket)
            SocketPrivate::get(socket)->acks.remove(ackId);
    }
}

void NamespacePrivate::remove(Socket *socket)
{
    Q_Q(Namespace);
    const auto it = socketsById.find(SocketPrivate::get(socket)->id);
    if (it == socketsById.end() || it.value() != socket)
        return;
    socketsById.erase(it);
    sockets.removeOne(socket);
    removeIfEmptyChild();
}

void NamespacePrivate::removeIfEmptyChild()
{
    Q_Q(Namespace);
    if (parent && !pinned && sockets.isEmpty() && pendingConnects == 0 && server
        && ServerPrivate::get(server)->options.cleanupEmptyChildNamespaces) {
        QPointer<Namespace> guard(q);
        // after the socket finished leaving
        QMetaObject::invokeMethod(q, [guard] {
            if (!guard || !NamespacePrivate::get(guard)->sockets.isEmpty()
                || NamespacePrivate::get(guard)->pendingConnects > 0)
                return;
            NamespacePrivate *d = NamespacePrivate::get(guard);
            qCDebug(lcServer, "removing empty child namespace %s", qUtf8Printable(d->name));
            d->adapter->close();
            if (d->server)
                ServerPrivate::get(d->server)->removeNamespace(guard);
            if (d->parent)
                NamespacePrivate::get(d->parent)->children.removeAll(guard);
            guard->deleteLater();
        }, Qt::QueuedConnection);
    }
}

Namespace::Namespace(Server *server, const QString &name)
    : QObject(server), d_ptr(new NamespacePrivate)
{
    Q_D(Namespace);
    d->q_ptr = this;
    d->server = server;
    d->name = name;
    setObjectName(name);
}

Namespace::~Namespace()
{
    Q_D(Namespace);
    // sockets are children: make them leave quietly before the adapter goes
    const QList<Socket *> sockets = d->sockets;
    for (Socket *socket : sockets)
        delete socket;
    if (d->adapter) {
        delete d->adapter;
        d->adapter = nullptr;
    }
}

QString Namespace::name() const { return d_func()->name; }
Server *Namespace::server() const { return d_func()->server; }
Adapter *Namespace::adapter() const { return d_func()->adapter; }
Namespace *Namespace::parentNamespace() const { return d_func()->parent; }
bool Namespace::isParent() const { return d_func()->isParent; }

QList<Namespace *> Namespace::children() const
{
    QList<Namespace *> list;
    for (const QPointer<Namespace> &child : d_func()->children) {
        if (child)
            list.append(child);
    }
    return list;
}

void Namespace::use(const Middleware &middleware)
{
    d_func()->middlewares.append(middleware);
}

QList<Socket *> Namespace::sockets() const { return d_func()->sockets; }
Socket *Namespace::socket(const QString &id) const { return d_func()->socketsById.value(id); }
int Namespace::socketCount() const { return int(d_func()->sockets.size()); }

BroadcastOperator Namespace::all() const { return BroadcastOperator(const_cast<Namespace *>(this)); }
BroadcastOperator Namespace::to(const QString &room) const { return all().to(room); }
BroadcastOperator Namespace::to(const QStringList &rooms) const { return all().to(rooms); }
BroadcastOperator Namespace::in(const QString &room) const { return all().to(room); }
BroadcastOperator Namespace::in(const QStringList &rooms) const { return all().to(rooms); }
BroadcastOperator Namespace::except(const QString &room) const { return all().except(room); }
BroadcastOperator Namespace::except(const QStringList &rooms) const { return all().except(rooms); }
BroadcastOperator Namespace::local() const { return all().local(); }
BroadcastOperator Namespace::asVolatile() const { return all().asVolatile(); }
BroadcastOperator Namespace::compress(bool compress) const { return all().compress(compress); }
BroadcastOperator Namespace::timeout(std::chrono::milliseconds timeout) const { return all().timeout(timeout); }

bool Namespace::emitEvent(const QString &event, const QCborArray &args) { return all().emitEvent(event, args); }
bool Namespace::emitEvent(const QString &event, std::initializer_list<QCborValue> args)
{
    return all().emitEvent(event, Internal::toCbor(args));
}
bool Namespace::emitEvent(const QString &event, const QJsonArray &args)
{
    return all().emitEvent(event, Internal::toCbor(args));
}
bool Namespace::emitEvent(const QString &event, const QVariantList &args)
{
    return all().emitEvent(event, Internal::toCbor(args));
}
bool Namespace::send(const QCborArray &args) { return all().send(args); }

AckReply *Namespace::emitWithAck(const QString &event, const QCborArray &args, std::chrono::milliseconds timeout)
{
    return all().timeout(timeout).emitWithAck(event, args);
}

void Namespace::fetchSockets(const QObject *context,
                             const std::function<void(const QList<RemoteSocket> &)> &callback) const
{
    all().fetchSockets(context, callback);
}

void Namespace::socketsJoin(const QStringList &rooms) { all().socketsJoin(rooms); }
void Namespace::socketsLeave(const QStringList &rooms) { all().socketsLeave(rooms); }
void Namespace::disconnectSockets(bool close) { all().disconnectSockets(close); }

bool Namespace::serverSideEmit(const QString &event, const QCborArray &args)
{
    Q_D(Namespace);
    if (event == QLatin1String("connect") || event == QLatin1String("connection")
        || event == QLatin1String("new_namespace")) {
        qCWarning(lcServer, "serverSideEmit: \"%s\" is a reserved event name; nothing sent", qUtf8Printable(event));
        return false;
    }
    if (!d->adapter)
        return false;
    return d->adapter->serverSideEmit(Internal::eventData(event, args));
}

void Namespace::serverSideEmitWithAck(const QString &event, const QCborArray &args, const QObject *context,
                                      const ServerSideAckCallback &callback)
{
    Q_D(Namespace);
    if (!context) {
        qCWarning(lcServer, "serverSideEmitWithAck(): a context object is required");
        return;
    }
    QPointer<const QObject> contextGuard(context);
    struct State
    {
        bool inCall = true;
        bool delivered = false;
    };
    auto state = std::make_shared<State>();
    auto deliver = [state, contextGuard, callback](const QString &error, const QCborArray &responses) {
        if (state->delivered)
            return;
        state->delivered = true;
        if (!state->inCall) {
            if (contextGuard && callback)
                callback(error, responses);
            return;
        }
        if (!contextGuard)
            return;
        QMetaObject::invokeMethod(const_cast<QObject *>(contextGuard.data()), [contextGuard, callback, error, responses] {
            if (contextGuard && callback)
                callback(error, responses);
        }, Qt::QueuedConnection);
    };
    if (event == QLatin1String("connect") || event == QLatin1String("connection")
        || event == QLatin1String("new_namespace")) {
        qCWarning(lcServer, "serverSideEmitWithAck: \"%s\" is a reserved event name; nothing sent",
                  qUtf8Printable(event));
        deliver(QStringLiteral("\"%1\" is a reserved event name").arg(event), QCborArray());
    } else if (!d->adapter) {
        deliver(QStringLiteral("the namespace has no adapter"), QCborArray());
    } else {
        d->adapter->serverSideEmitWithAck(Internal::eventData(event, args), deliver);
    }
    state->inCall = false;
}

} // namespace SocketIo
