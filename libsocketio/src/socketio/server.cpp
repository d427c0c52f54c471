#include "server.h"

#include "clientfiles_p.h"
#include "logging_p.h"
#include "namespace_p.h"
#include "server_p.h"
#include "serverclient_p.h"
#include "socket_p.h"
#include "util_p.h"

#include "engineio/engineserver_p.h"

#include <SocketIo/adapter.h>
#include <SocketIo/engineserver.h>
#include <SocketIo/enginesession.h>
#include <SocketIo/namespace.h>
#include <SocketIo/socket.h>

#include <algorithm>
#include <limits>

namespace SocketIo {

QString ServerPrivate::normalise(const QString &name)
{
    if (name.startsWith(QLatin1Char('/')))
        return name;
    return QLatin1Char('/') + name;
}

void ServerPrivate::onEngineConnection(EngineSession *session)
{
    Q_Q(Server);
    if (destroying)
        return;
    auto *client = new ServerClient(q, session);
    clients.insert(client, clientSequence++);
    watchConnect(client);
}

void ServerPrivate::watchConnect(ServerClient *client)
{
    const qint64 deadline = clock.elapsed() + qint64(options.connectTimeout.count());
    connectDeadlines.push(ConnectDeadline{deadline, client, clients.value(client)});
    if (!connectTimer->isActive() || deadline < connectTimerDeadline)
        armConnectTimer(deadline);
}

void ServerPrivate::armConnectTimer(qint64 deadline)
{
    connectTimerDeadline = deadline;
    connectTimer->start(int(qBound<qint64>(0, deadline - clock.elapsed(), qint64(std::numeric_limits<int>::max()))));
}

void ServerPrivate::checkConnectDeadlines()
{
    const qint64 now = clock.elapsed();
    while (!connectDeadlines.empty() && connectDeadlines.top().deadline <= now) {
        const ConnectDeadline entry = connectDeadlines.top();
        connectDeadlines.pop();
        // still the same live client (not one created later at the same address)
        auto it = clients.constFind(entry.client);
        if (it != clients.constEnd() && it.value() == entry.sequence)
            entry.client->onConnectTimeout();
    }
    if (!connectDeadlines.empty())
        armConnectTimer(connectDeadlines.top().deadline);
}

Namespace *ServerPrivate::createNamespace(const QString &name)
{
    Q_Q(Server);
    auto *nsp = new Namespace(q, name);
    nsps.insert(name, nsp);
    nspOrder.append(nsp);
    NamespacePrivate::get(nsp)->createAdapter();
    return nsp;
}

void ServerPrivate::removeNamespace(Namespace *nsp)
{
    if (nsps.value(nsp->name()) == nsp)
        nsps.remove(nsp->name());
    nspOrder.removeAll(nsp);
}

Namespace *ServerPrivate::createChild(Namespace *parent, const QString &name)
{
    Q_Q(Server);
    Namespace *child = createNamespace(name);
    NamespacePrivate::get(child)->parent = parent;
    NamespacePrivate::get(parent)->children.append(child);
    Q_EMIT q->newNamespace(child);
    return child;
}

void ServerPrivate::checkNamespace(const QString &name, const QCborMap &auth, int index,
                                   const std::function<void(Namespace *)> &done)
{
    Q_Q(Server);
    if (index >= parents.size()) {
        done(nullptr);
        return;
    }
    QPointer<Namespace> parent = parents.at(index);
    const NamespaceMatcher matcher = NamespacePrivate::get(parent)->matcher;
    QPointer<Server> guard(q);
    auto called = std::make_shared<bool>(false);
    matcher(name, auth, [guard, parent, name, auth, index, done, called](bool accept) {
        if (*called) {
            qCWarning(lcServer, "namespace matcher answered more than once; ignored");
            return;
        }
        *called = true;
        if (!guard)
            return;
        ServerPrivate *d = ServerPrivate::get(guard);
        if (!accept || !parent) {
            d->checkNamespace(name, auth, index + 1, done);
            return;
        }
        if (Namespace *existing = d->nsps.value(name)) {
            done(existing);
            return;
        }
        done(d->createChild(parent, name));
    });
}

Server::Server(QObject *parent)
    : Server(ServerOptions(), parent)
{
}

Server::Server(const ServerOptions &options, QObject *parent)
    : QObject(parent), d_ptr(new ServerPrivate)
{
    Q_D(Server);
    d->q_ptr = this;
    d->options = options;
    d->clock.start();
    d->connectTimer = new QTimer(this);
    d->connectTimer->setSingleShot(true);
    d->connectTimer->setTimerType(Qt::PreciseTimer);   // connectTimeout, a protocol deadline
    QObject::connect(d->connectTimer, &QTimer::timeout, this, [d] { d->checkConnectDeadlines(); });
    // for queued connections and QSignalSpy on the server's signals
    qRegisterMetaType<SocketIo::Socket *>();
    qRegisterMetaType<SocketIo::Namespace *>();
    qRegisterMetaType<SocketIo::Message>();
    qRegisterMetaType<SocketIo::DisconnectReason>();
    d->createNamespace(QStringLiteral("/"));
}

Server::~Server()
{
    Q_D(Server);
    d->destroying = true;
    if (d->engine) {
        QObject::disconnect(d->engine, nullptr, this, nullptr);
        // let every client go before the namespaces
        // in connection order; a client's leaving may take others with it
        QList<std::pair<quint64, QPointer<ServerClient>>> clients;
        clients.reserve(d->clients.size());
        for (auto it = d->clients.constBegin(); it != d->clients.constEnd(); ++it)
            clients.append({it.value(), it.key()});
        std::sort(clients.begin(), clients.end(),
                  [](const auto &a, const auto &b) { return a.first < b.first; });
        for (const auto &client : std::as_const(clients)) {
            if (client.second)
                delete client.second.data();
        }
        if (d->ownsEngine)
            delete d->engine.data();
    }
    const auto nsps = d->nspOrder;
    d->nsps.clear();
    d->nspOrder.clear();
    for (Namespace *nsp : nsps)
        delete nsp;
    qDeleteAll(d->parents);
    d->parents.clear();
}

void Server::setOptions(const ServerOptions &options)
{
    Q_D(Server);
    const bool recoveryChanged = options.connectionStateRecovery.enabled != d->options.connectionStateRecovery.enabled;
    d->options = options;
    if (!recoveryChanged || options.adapter)
        return;
    // the default adapter depends on connectionStateRecovery (socket.io re-creates adapters too)
    QList<Namespace *> all = d->nspOrder;
    all += d->parents;
    for (Namespace *nsp : std::as_const(all)) {
        if (nsp->socketCount() > 0) {
            qCWarning(lcServer, "setOptions(): namespace %s has sockets; its adapter keeps the previous "
                      "connectionStateRecovery setting", qUtf8Printable(nsp->name()));
            continue;
        }
        NamespacePrivate::get(nsp)->createAdapter();
    }
}

ServerOptions Server::options() const { return d_func()->options; }

void ServerPrivate::deferDispatch(Socket *socket, const Message &message)
{
    // one posted call per event-loop pass, however many events arrive in it
    if (deferredEvents.isEmpty())
        QMetaObject::invokeMethod(q_ptr, [this] { runDeferredEvents(); }, Qt::QueuedConnection);
    deferredEvents.append({socket, message});
}

void ServerPrivate::runDeferredEvents()
{
    const QList<DeferredEvent> batch = std::exchange(deferredEvents, {});
    for (const DeferredEvent &e : batch) {
        if (!e.socket)
            continue;
        SocketPrivate *d = SocketPrivate::get(e.socket);
        if (!d->connected) {
            qCDebug(lcServer, "event \"%s\" after disconnection not dispatched", qUtf8Printable(e.message.event()));
            continue;
        }
        d->dispatch(e.message);
    }
}

bool Server::listen(const QHostAddress &address, quint16 port)
{
    Q_D(Server);
    if (d->engine && !d->ownsEngine) {
        qCWarning(lcServer, "listen(): the server is attached to an engine already");
        return false;
    }
    if (!d->engine) {
        auto *engine = new EngineServer(this);
        d->engine = engine;
        d->ownsEngine = true;
        connect(engine, &EngineServer::connection, this,
                [d](EngineSession *session) { d->onEngineConnection(session); });
    }
    if (d->engine->isListening()) {
        qCWarning(lcServer, "listen(): already listening");
        return false;
    }
    d->engine->setOptions(d->options);
    installClientFiles(d->engine, ClientFiles::load(d->options));
    if (!d->engine->listen(address, port)) {
        qCWarning(lcServer, "listen(): %s", qUtf8Printable(d->engine->errorString()));
        return false;
    }
    return true;
}

bool Server::attach(EngineServer *engine)
{
    Q_D(Server);
    if (!engine || d->engine) {
        qCWarning(lcServer, "attach(): no engine given, or already listening or attached");
        return false;
    }
    EngineServerPrivate *ed = EngineServerPrivate::get(engine);
    if (ed->socketIoServer && ed->socketIoServer != this) {
        qCWarning(lcServer, "attach(): the engine is served by another Socket.IO server already");
        return false;
    }
    ed->socketIoServer = this;
    d->engine = engine;
    d->ownsEngine = false;
    connect(engine, &EngineServer::connection, this,
            [d](EngineSession *session) { d->onEngineConnection(session); });
    if (d->options.serveClient)
        installClientFiles(engine, ClientFiles::load(d->options));
    return true;
}

EngineServer *Server::engine() const { return d_func()->engine; }
int Server::workerIndex() const { return d_func()->workerIndex; }
bool Server::isListening() const { return d_func()->engine && d_func()->engine->isListening(); }
quint16 Server::serverPort() const { return d_func()->engine ? d_func()->engine->serverPort() : 0; }
QString Server::errorString() const { return d_func()->engine ? d_func()->engine->errorString() : QString(); }

void Server::close()
{
    Q_D(Server);
    const auto nsps = d->nspOrder;
    for (const QPointer<Namespace> nsp : nsps) {
        if (!nsp)
            continue;
        const QList<Socket *> sockets = nsp->sockets();
        for (Socket *socket : sockets) {
            QPointer<Socket> guard(socket);
            if (guard)
                SocketPrivate::get(guard)->onClose(DisconnectReason::ServerShuttingDown);
        }
        if (nsp && nsp->adapter())
            nsp->adapter()->close();
    }
    if (d->engine)
        d->engine->close();
}

Namespace *Server::of(const QString &name)
{
    Q_D(Server);
    const QString normalised = ServerPrivate::normalise(name);
    if (Namespace *nsp = d->nsps.value(normalised)) {
        NamespacePrivate::get(nsp)->pinned = true;   // the application holds it now
        return nsp;
    }
    // As socket.io's of(): a name that a parent made from a regular expression matches becomes
    // that parent's child (its middlewares and connection signal apply), the first such parent
    // in registration order. Matcher functions are not asked: they may need the auth payload of
    // a connecting client, and may answer later.
    for (Namespace *parent : std::as_const(d->parents)) {
        const auto &pattern = NamespacePrivate::get(parent)->pattern;
        if (pattern && pattern->isValid() && pattern->match(normalised).hasMatch()) {
            Namespace *child = d->createChild(parent, normalised);
            NamespacePrivate::get(child)->pinned = true;   // not removed when empty: it is held
            return child;
        }
    }
    Namespace *nsp = d->createNamespace(normalised);
    Q_EMIT newNamespace(nsp);
    return nsp;
}

Namespace *Server::of(const QRegularExpression &pattern)
{
    if (!pattern.isValid())
        qCWarning(lcServer, "of(): invalid regular expression %s", qUtf8Printable(pattern.pattern()));
    Namespace *parent = of(NamespaceMatcher([pattern](const QString &name, const QCborMap &,
                                                      const std::function<void(bool)> &accept) {
        accept(pattern.isValid() && pattern.match(name).hasMatch());
    }));
    NamespacePrivate::get(parent)->pattern = pattern;
    return parent;
}

Namespace *Server::of(const NamespaceMatcher &matcher)
{
    Q_D(Server);
    const QString name = QStringLiteral("/_") + QString::number(d->parentCount++);
    auto *parent = new Namespace(this, name);
    NamespacePrivate *pd = NamespacePrivate::get(parent);
    pd->isParent = true;
    pd->matcher = matcher;
    pd->createAdapter();
    d->parents.append(parent);
    return parent;
}

Namespace *Server::sockets() { return of(QStringLiteral("/")); }
Namespace *Server::findNamespace(const QString &name) const
{
    return d_func()->nsps.value(ServerPrivate::normalise(name));
}

QList<Namespace *> Server::namespaces() const { return d_func()->nspOrder; }

void Server::use(const Middleware &middleware) { sockets()->use(middleware); }

BroadcastOperator Server::to(const QString &room) { return sockets()->to(room); }
BroadcastOperator Server::to(const QStringList &rooms) { return sockets()->to(rooms); }
BroadcastOperator Server::in(const QString &room) { return sockets()->to(room); }
BroadcastOperator Server::except(const QString &room) { return sockets()->except(room); }
BroadcastOperator Server::except(const QStringList &rooms) { return sockets()->except(rooms); }
BroadcastOperator Server::local() { return sockets()->local(); }
BroadcastOperator Server::asVolatile() { return sockets()->asVolatile(); }
BroadcastOperator Server::compress(bool compress) { return sockets()->compress(compress); }
BroadcastOperator Server::timeout(std::chrono::milliseconds timeout) { return sockets()->timeout(timeout); }

bool Server::emitEvent(const QString &event, const QCborArray &args) { return sockets()->emitEvent(event, args); }
bool Server::emitEvent(const QString &event, std::initializer_list<QCborValue> args)
{
    return sockets()->emitEvent(event, Internal::toCbor(args));
}
bool Server::emitEvent(const QString &event, const QJsonArray &args)
{
    return sockets()->emitEvent(event, Internal::toCbor(args));
}
bool Server::emitEvent(const QString &event, const QVariantList &args)
{
    return sockets()->emitEvent(event, Internal::toCbor(args));
}
bool Server::send(const QCborArray &args) { return sockets()->send(args); }
AckReply *Server::emitWithAck(const QString &event, const QCborArray &args, std::chrono::milliseconds timeout)
{
    return sockets()->emitWithAck(event, args, timeout);
}
void Server::fetchSockets(const QObject *context, const std::function<void(const QList<RemoteSocket> &)> &callback)
{
    sockets()->fetchSockets(context, callback);
}
void Server::socketsJoin(const QStringList &rooms) { sockets()->socketsJoin(rooms); }
void Server::socketsLeave(const QStringList &rooms) { sockets()->socketsLeave(rooms); }
void Server::disconnectSockets(bool close) { sockets()->disconnectSockets(close); }
bool Server::serverSideEmit(const QString &event, const QCborArray &args)
{
    return sockets()->serverSideEmit(event, args);
}

void Server::serverSideEmitWithAck(const QString &event, const QCborArray &args, const QObject *context,
                                   const std::function<void(const QString &, const QCborArray &)> &callback)
{
    sockets()->serverSideEmitWithAck(event, args, context, callback);
}

} // namespace SocketIo
