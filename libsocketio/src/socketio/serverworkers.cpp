#include "serverworkers.h"
#include "serverworkers_p.h"

#include "engineio/engineserver_p.h"
#include "logging_p.h"
#include "server_p.h"

#include <SocketIo/engineserver.h>
#include <SocketIo/enginesession.h>
#include <SocketIo/epolleventdispatcher.h>
#include <SocketIo/server.h>

#include <QAbstractEventDispatcher>
#include <QAbstractSocket>
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QMutexLocker>
#include <QNetworkProxy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace SocketIo {

namespace {

// After a worker's Server::close(), how long its close packets and frames may take to leave.
constexpr std::chrono::milliseconds CloseGracePeriod{2000};
constexpr std::chrono::milliseconds CloseCheckInterval{10};

// A connection on its way to a worker: deleted with the queued call if that never runs.
struct HandOff
{
    QTcpSocket *socket = nullptr;
    QByteArray unread;
    ~HandOff() { delete socket; }
};

} // namespace

// ---- WorkerGroup -------------------------------------------------------------------------

WorkerGroup::WorkerGroup(int n)
    : slots(new Slot[size_t(n)]), count(n)
{
}

bool WorkerGroup::handTo(int index, QTcpSocket *socket, const QByteArray &unread)
{
    // Under the mutex: a worker clears its slot under it before its engine goes, so the engine is
    // alive while the call is posted, and a posted call runs before the engine is deleted.
    QMutexLocker lock(&mutex);
    EngineServer *engine = slots[index].engine;
    if (!engine)
        return false;
    // The socket keeps what it buffered (read and unwritten bytes) across the move.
    socket->moveToThread(engine->thread());
    auto handOff = std::make_shared<HandOff>();
    handOff->socket = socket;
    handOff->unread = unread;
    QMetaObject::invokeMethod(engine, [engine, handOff] {
        QTcpSocket *s = std::exchange(handOff->socket, nullptr);
        EngineServerPrivate::get(engine)->serveConnection(s, handOff->unread);
    }, Qt::QueuedConnection);
    return true;
}

int WorkerGroup::ownerOf(const QString &sid) const
{
    QMutexLocker lock(&mutex);
    return sids.value(sid, -1);
}

// ---- WorkerThread --------------------------------------------------------------------------

WorkerThread::WorkerThread(int index, const ServerOptions &options, const ServerWorkers::Setup &setup,
                           const WorkerHub &hub, std::shared_ptr<WorkerGroup> group, QSemaphore *ready)
    : m_index(index), m_options(options), m_setup(setup), m_hub(hub), m_group(std::move(group)),
      m_ready(ready)
{
    setObjectName(QStringLiteral("socketio-worker-%1").arg(index));
}

WorkerThread::~WorkerThread() = default;

void WorkerThread::run()
{
    const int index = m_index;
    const std::shared_ptr<WorkerGroup> group = m_group;
    auto *engine = new EngineServer;
    engine->setOptions(m_options);
    ServerOptions options = m_options;
    if (!options.adapter)
        options.adapter = m_hub.adapterFactory();
    auto *server = new Server(options);
    ServerPrivate::get(server)->workerIndex = index;
    server->attach(engine);
    m_engine = engine;
    m_server = server;

    // sticky sessions: requests of another worker's session go to that worker
    EngineServerPrivate *ed = EngineServerPrivate::get(engine);
    ed->ownedElsewhere = [group, index](const QString &sid) {
        const int owner = group->ownerOf(sid);
        return owner >= 0 && owner != index;
    };
    ed->claimId = [group, index](const QString &sid) {
        QMutexLocker lock(&group->mutex);
        if (group->sids.contains(sid))
            return false;   // a live session here or on another worker
        group->sids.insert(sid, index);   // connection() keeps it, the session's close removes it
        return true;
    };
    ed->releaseId = [group, index](const QString &sid) {
        QMutexLocker lock(&group->mutex);
        if (group->sids.value(sid, -1) == index)
            group->sids.remove(sid);
    };
    ed->handOver = [group, index, ed](const QString &sid, QTcpSocket *socket, const QByteArray &unread) {
        const int owner = group->ownerOf(sid);
        if (owner >= 0 && owner != index) {
            // counted first: the owner may answer the peer before this thread runs on
            ++group->handOvers;
            if (group->handTo(owner, socket, unread))
                return;
            --group->handOvers;
        }
        // the session ended meanwhile: answer here (unknown session)
        ed->serveConnection(socket, unread);
    };
    QObject::connect(engine, &EngineServer::connection, engine, [group, index, engine](EngineSession *session) {
        const QString sid = session->id();
        {
            QMutexLocker lock(&group->mutex);
            group->sids.insert(sid, index);
        }
        ++group->slots[index].clients;
        QObject::connect(session, &EngineSession::closed, engine, [group, index, sid] {
            {
                QMutexLocker lock(&group->mutex);
                if (group->sids.value(sid, -1) == index)
                    group->sids.remove(sid);
            }
            --group->slots[index].clients;
        });
    });

    if (m_setup)
        m_setup(server, index);
    {
        QMutexLocker lock(&group->mutex);
        group->slots[index].engine = engine;
        group->slots[index].server = server;
    }
    m_ready->release();

    exec();

    {
        QMutexLocker lock(&group->mutex);
        group->slots[index].engine = nullptr;
        group->slots[index].server = nullptr;
        group->sids.removeIf([index](const QHash<QString, int>::iterator it) { return it.value() == index; });
    }
    // calls posted before the slot was cleared (connections handed over) run now; nothing new
    // can come
    QCoreApplication::sendPostedEvents();
    server->close();
    delete server;
    m_server = nullptr;
    delete engine;
    m_engine = nullptr;
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    group->slots[index].clients = 0;   // sessions deleted without closing (grace period over)
}

void WorkerThread::beginClose()
{
    if (!m_server)
        return;
    // like Server::close(): sockets leave with "server shutting down", sessions close gracefully;
    // the loop runs on until their last bytes left (or the grace period ended)
    m_server->close();
    auto *timer = new QTimer(m_engine);
    const QDeadlineTimer deadline(CloseGracePeriod);
    EngineServer *engine = m_engine;
    QObject::connect(timer, &QTimer::timeout, timer, [this, engine, deadline] {
        bool pending = engine->clientsCount() > 0;
        if (!pending) {
            const auto sockets = engine->findChildren<QAbstractSocket *>();
            for (const QAbstractSocket *socket : sockets) {
                if (socket->state() == QAbstractSocket::ConnectedState && socket->bytesToWrite() > 0) {
                    pending = true;
                    break;
                }
            }
        }
        if (!pending || deadline.hasExpired())
            quit();
    });
    timer->start(CloseCheckInterval);
}

// ---- ServerWorkers -------------------------------------------------------------------------

void ServerWorkersPrivate::onNewConnections()
{
    while (QTcpSocket *socket = acceptor->takeAccepted()) {
        socket->setParent(nullptr);
        bool handed = false;
        for (int tries = 0; tries < group->count && !handed; ++tries) {
            const int index = next;
            next = (next + 1) % group->count;
            handed = group->handTo(index, socket, QByteArray());
        }
        if (!handed) {
            qCWarning(lcServer, "ServerWorkers: no worker running; connection dropped");
            socket->abort();
            delete socket;
        }
    }
}

ServerWorkers::ServerWorkers(int count, const ServerOptions &options, const Setup &setup, QObject *parent)
    : QObject(parent), d_ptr(new ServerWorkersPrivate)
{
    Q_D(ServerWorkers);
    d->q_ptr = this;
    count = std::max(1, count);
    d->group = std::make_shared<WorkerGroup>(count);

    // EngineTcpSockets, as EngineServer's own: headers can be added to their WebSocket handshakes
    d->acceptor = new EngineTcpServer(this);
    // as EngineServer: no proxy for a listening socket, Node's backlog
    d->acceptor->setProxy(QNetworkProxy(QNetworkProxy::NoProxy));
    d->acceptor->setListenBacklogSize(511);
    connect(d->acceptor, &QTcpServer::newConnection, this, [d] { d->onNewConnections(); });

    QSemaphore ready;
    for (int i = 0; i < count; ++i) {
        auto *thread = new WorkerThread(i, options, setup, d->hub, d->group, &ready);
        d->threads.append(thread);
#ifdef SOCKETIO_HAVE_EPOLL_EVENT_DISPATCHER
        // workers run on the kind of dispatcher their owner chose
        if (qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance()))
            thread->setEventDispatcher(new EpollEventDispatcher);
#endif
        thread->start();
    }
    ready.acquire(count);
}

ServerWorkers::~ServerWorkers()
{
    Q_D(ServerWorkers);
    close();
    qDeleteAll(d->threads);
}

bool ServerWorkers::listen(const QHostAddress &address, quint16 port)
{
    Q_D(ServerWorkers);
    if (d->closed) {
        d->errorString = QStringLiteral("closed");
        return false;
    }
    if (!d->acceptor->start(address, port)) {
        d->errorString = d->acceptor->errorString();
        qCWarning(lcServer) << "ServerWorkers: listen failed:" << d->errorString;
        return false;
    }
    d->errorString.clear();
    return true;
}

bool ServerWorkers::isListening() const
{
    Q_D(const ServerWorkers);
    return d->acceptor->isListening();
}

quint16 ServerWorkers::serverPort() const
{
    Q_D(const ServerWorkers);
    return d->acceptor->serverPort();
}

QString ServerWorkers::errorString() const
{
    Q_D(const ServerWorkers);
    return d->errorString;
}

void ServerWorkers::close()
{
    Q_D(ServerWorkers);
    if (d->closed)
        return;
    d->closed = true;
    d->acceptor->stop();
    {
        QMutexLocker lock(&d->group->mutex);
        for (int i = 0; i < d->group->count; ++i) {
            EngineServer *engine = d->group->slots[i].engine;
            WorkerThread *thread = d->threads.at(i);
            if (engine)
                QMetaObject::invokeMethod(engine, [thread] { thread->beginClose(); }, Qt::QueuedConnection);
            else
                thread->quit();
        }
    }
    for (WorkerThread *thread : std::as_const(d->threads))
        thread->wait();
    Q_EMIT closed();
}

int ServerWorkers::workerCount() const
{
    Q_D(const ServerWorkers);
    return d->group->count;
}

int ServerWorkers::clientsCount() const
{
    Q_D(const ServerWorkers);
    int n = 0;
    for (int i = 0; i < d->group->count; ++i)
        n += d->group->slots[i].clients.load();
    return n;
}

int ServerWorkers::clientsCount(int index) const
{
    Q_D(const ServerWorkers);
    if (index < 0 || index >= d->group->count)
        return 0;
    return d->group->slots[index].clients.load();
}

bool ServerWorkers::invoke(int index, const std::function<void(Server *)> &function)
{
    Q_D(ServerWorkers);
    if (index < 0 || index >= d->group->count || !function)
        return false;
    QMutexLocker lock(&d->group->mutex);
    EngineServer *engine = d->group->slots[index].engine;
    Server *server = d->group->slots[index].server;
    if (!engine)
        return false;
    QMetaObject::invokeMethod(engine, [server, function] { function(server); }, Qt::QueuedConnection);
    return true;
}

quint64 ServerWorkers::handOverCount() const
{
    Q_D(const ServerWorkers);
    return d->group->handOvers.load();
}

WorkerHub ServerWorkers::hub() const
{
    Q_D(const ServerWorkers);
    return d->hub;
}

} // namespace SocketIo
