#include "workeradapter.h"

#include "socketio/logging_p.h"

#include <SocketIo/namespace.h>
#include <SocketIo/remotesocket.h>
#include <SocketIo/server.h>

#include <QHash>
#include <QMutex>
#include <QMutexLocker>
#include <QPointer>
#include <QTimer>

#include <atomic>

namespace SocketIo {

// ---- hub -----------------------------------------------------------------------------------

/*
  Cross-thread calls: a functor is posted to the target adapter (QMetaObject::invokeMethod,
  queued) while the hub mutex is held. An adapter unregisters under the same mutex before it is
  destroyed, and destroying a QObject discards the calls still queued for it, so a posted functor
  either runs on the target's thread with the target alive or never runs. Functors carry values
  only (implicitly shared Qt types, safe to hand between threads), never pointers to the sender.
*/
class WorkerHubPrivate
{
public:
    using Call = std::function<void(WorkerAdapter *target)>;

    mutable QMutex mutex;
    QHash<QString, QList<WorkerAdapter *>> byNsp;   // registration order
    QHash<quint64, WorkerAdapter *> byId;
    quint64 nextId = 1;
    std::atomic<qint64> requestsTimeoutMs{5000};

    static void post(WorkerAdapter *target, const Call &call)
    {
        QMetaObject::invokeMethod(target, [target, call] { call(target); }, Qt::QueuedConnection);
    }

    quint64 add(const QString &nsp, WorkerAdapter *adapter)
    {
        QMutexLocker lock(&mutex);
        const quint64 id = nextId++;
        byNsp[nsp].append(adapter);
        byId.insert(id, adapter);
        return id;
    }

    void remove(const QString &nsp, quint64 id)
    {
        QMutexLocker lock(&mutex);
        WorkerAdapter *adapter = byId.take(id);
        auto it = byNsp.find(nsp);
        if (it != byNsp.end()) {
            it->removeAll(adapter);
            if (it->isEmpty())
                byNsp.erase(it);
        }
    }

    /*! Posts \a call to every adapter of \a nsp but \a self; returns how many got it. */
    int postOthers(const QString &nsp, const WorkerAdapter *self, const Call &call)
    {
        QMutexLocker lock(&mutex);
        int n = 0;
        const QList<WorkerAdapter *> list = byNsp.value(nsp);
        for (WorkerAdapter *adapter : list) {
            if (adapter == self)
                continue;
            post(adapter, call);
            ++n;
        }
        return n;
    }

    /*! Posts \a call to adapter \a id if it still exists. */
    bool postTo(quint64 id, const Call &call)
    {
        QMutexLocker lock(&mutex);
        WorkerAdapter *adapter = byId.value(id);
        if (!adapter)
            return false;
        post(adapter, call);
        return true;
    }

    int count(const QString &nsp) const
    {
        QMutexLocker lock(&mutex);
        return int(byNsp.value(nsp).size());
    }
};

WorkerHub::WorkerHub()
    : d(std::make_shared<WorkerHubPrivate>())
{
}

WorkerHub::~WorkerHub() = default;
WorkerHub::WorkerHub(const WorkerHub &other) = default;
WorkerHub &WorkerHub::operator=(const WorkerHub &other) = default;

AdapterFactory WorkerHub::adapterFactory() const
{
    const WorkerHub hub = *this;
    return [hub](Namespace *nsp) -> Adapter * { return new WorkerAdapter(nsp, hub); };
}

void WorkerHub::setRequestsTimeout(std::chrono::milliseconds timeout)
{
    d->requestsTimeoutMs = timeout.count();
}

std::chrono::milliseconds WorkerHub::requestsTimeout() const
{
    return std::chrono::milliseconds(d->requestsTimeoutMs.load());
}

int WorkerHub::serverCount(const QString &nsp) const
{
    return d->count(nsp);
}

// ---- adapter -------------------------------------------------------------------------------

namespace {

// A socket of another server, as plain values (a RemoteSocket holds a pointer to its adapter,
// which is only valid on that adapter's thread).
struct SocketInfo
{
    QString id;
    Handshake handshake;
    QSet<QString> rooms;
    QCborValue data;
};

} // namespace

class WorkerAdapterPrivate
{
public:
    WorkerAdapter *q_ptr = nullptr;
    std::shared_ptr<WorkerHubPrivate> hub;
    QString nspName;
    quint64 id = 0;   // registration in the hub, 0: not registered
    bool recovery = false;   // connection state recovery on: log and store like SessionAwareAdapter

    // requests waiting for the other servers, by request id
    struct Request
    {
        int expected = 0;
        int received = 0;
        QList<RemoteSocket> sockets;   // fetchSockets
        QCborArray responses;          // serverSideEmitWithAck
        QCborMap session;              // restoreSession
        std::function<void(const Request &request, bool timedOut)> finish;
    };
    QHash<quint64, Request> requests;
    // broadcasts with ack started here, until their timeout
    struct AckRequest
    {
        Adapter::ClientCountCallback clientCount;
        Adapter::AckCallback ack;
    };
    QHash<quint64, AckRequest> ackRequests;
    quint64 nextRequestId = 1;

    static WorkerAdapterPrivate *get(WorkerAdapter *a) { return a->d_func(); }

    /*! Writes the encoded packet to the local sockets \a opts selects (on this thread). */
    void deliver(const Packet &packet, const EncodedPacket &encoded, const BroadcastOptions &opts)
    {
        Q_Q(WorkerAdapter);
        const QStringList ids = q->selectLocal(opts);
        for (const QString &socketId : ids)
            q->writeToSocket(socketId, packet, encoded, opts.flags);
    }

    /*! A broadcast of any server, delivered to the local sockets (and logged for recovery). */
    void deliverBroadcast(const Packet &packet, const EncodedPacket &encoded, const BroadcastOptions &opts)
    {
        Q_Q(WorkerAdapter);
        if (recovery)
            q->SessionAwareAdapter::broadcast(packet, opts);   // with this server's offset
        else
            deliver(packet, encoded, opts);
    }

    /*! \a opts selects exactly one socket of this server (its own room): nothing to relay. */
    bool targetsOneLocalSocket(const BroadcastOptions &opts) const
    {
        Q_Q(const WorkerAdapter);
        return opts.rooms.size() == 1 && opts.except.isEmpty() && q->localSocket(*opts.rooms.cbegin());
    }

    quint64 startRequest(Request request, const QString &what)
    {
        Q_Q(WorkerAdapter);
        const quint64 requestId = nextRequestId++;
        requests.insert(requestId, request);
        QPointer<WorkerAdapter> guard(q);
        const std::chrono::milliseconds timeout(hub->requestsTimeoutMs.load());
        QTimer::singleShot(timeout, q, [guard, requestId, what] {
            if (!guard)
                return;
            WorkerAdapterPrivate *d = guard->d_func();
            if (!d->requests.contains(requestId))
                return;
            qCWarning(lcAdapter, "%s: %s: only %d of %d servers answered in time", qUtf8Printable(d->nspName),
                      qUtf8Printable(what), d->requests.value(requestId).received,
                      d->requests.value(requestId).expected);
            d->finishRequest(requestId, true);
        });
        return requestId;
    }

    void finishRequest(quint64 requestId, bool timedOut)
    {
        auto it = requests.find(requestId);
        if (it == requests.end())
            return;
        const Request request = *it;
        requests.erase(it);
        if (request.finish)
            request.finish(request, timedOut);
    }

    /*! One server answered request \a requestId; \a apply adds its answer. */
    void answer(quint64 requestId, const std::function<void(Request &)> &apply)
    {
        auto it = requests.find(requestId);
        if (it == requests.end())
            return;   // timed out already
        apply(*it);
        if (++it->received >= it->expected)
            finishRequest(requestId, false);
    }

    Q_DECLARE_PUBLIC(WorkerAdapter)
};

WorkerAdapter::WorkerAdapter(Namespace *nsp, const WorkerHub &hub)
    : SessionAwareAdapter(nsp), d_ptr(new WorkerAdapterPrivate)
{
    Q_D(WorkerAdapter);
    d->q_ptr = this;
    d->hub = hub.d;
    d->nspName = nsp ? nsp->name() : QStringLiteral("/");
    d->recovery = nsp && nsp->server() && nsp->server()->options().connectionStateRecovery.enabled;
}

WorkerAdapter::~WorkerAdapter()
{
    close();
}

void WorkerAdapter::init()
{
    Q_D(WorkerAdapter);
    // a parent (dynamic) namespace has no sockets of its own; its children have adapters
    if (d->id || (nsp() && nsp()->isParent()))
        return;
    d->id = d->hub->add(d->nspName, this);
}

void WorkerAdapter::close()
{
    Q_D(WorkerAdapter);
    if (!d->id)
        return;
    d->hub->remove(d->nspName, d->id);
    d->id = 0;
}

void WorkerAdapter::serverCount(const std::function<void(int)> &callback) const
{
    Q_D(const WorkerAdapter);
    callback(std::max(1, d->hub->count(d->nspName)));
}

void WorkerAdapter::broadcast(const Packet &packet, const BroadcastOptions &opts)
{
    Q_D(WorkerAdapter);
    // encoded once for every recipient of every server (with recovery, each server appends its
    // own offset and encodes for itself)
    const EncodedPacket encoded = d->recovery ? EncodedPacket() : encode(packet);
    if (!opts.flags.local && d->id && !d->targetsOneLocalSocket(opts)) {
        d->hub->postOthers(d->nspName, this, [packet, encoded, opts](WorkerAdapter *target) {
            WorkerAdapterPrivate::get(target)->deliverBroadcast(packet, encoded, opts);
        });
    }
    d->deliverBroadcast(packet, encoded, opts);
}

void WorkerAdapter::broadcastWithAck(const Packet &packet, const BroadcastOptions &opts,
                                     const ClientCountCallback &clientCountCallback,
                                     const AckCallback &ackCallback)
{
    Q_D(WorkerAdapter);
    if (!opts.flags.local && d->id) {
        const quint64 requestId = d->nextRequestId++;
        const quint64 requester = d->id;
        const std::shared_ptr<WorkerHubPrivate> hub = d->hub;
        const int sent = d->hub->postOthers(d->nspName, this, [packet, opts, requestId, requester, hub](WorkerAdapter *target) {
            // another server's broadcast: its sockets answer with ack ids of this namespace
            Packet local = packet;
            local.id = target->allocateAckId();
            target->InMemoryAdapter::broadcastWithAck(
                    local, opts,
                    [hub, requester, requestId](int clientCount) {
                        hub->postTo(requester, [requestId, clientCount](WorkerAdapter *origin) {
                            const auto *d = WorkerAdapterPrivate::get(origin);
                            auto it = d->ackRequests.constFind(requestId);
                            if (it != d->ackRequests.constEnd() && it->clientCount)
                                it->clientCount(clientCount);
                        });
                    },
                    [hub, requester, requestId](const QCborArray &args) {
                        hub->postTo(requester, [requestId, args](WorkerAdapter *origin) {
                            const auto *d = WorkerAdapterPrivate::get(origin);
                            auto it = d->ackRequests.constFind(requestId);
                            if (it != d->ackRequests.constEnd() && it->ack)
                                it->ack(args);
                        });
                    });
        });
        if (sent > 0) {
            d->ackRequests.insert(requestId, {clientCountCallback, ackCallback});
            // nothing tells when every client of every server answered: forget it after the timeout
            const auto timeout = opts.flags.timeout.value_or(std::chrono::milliseconds::zero());
            QPointer<WorkerAdapter> guard(this);
            QTimer::singleShot(timeout, this, [guard, requestId] {
                if (guard)
                    guard->d_func()->ackRequests.remove(requestId);
            });
        }
    }
    InMemoryAdapter::broadcastWithAck(packet, opts, clientCountCallback, ackCallback);
}

void WorkerAdapter::fetchSockets(const BroadcastOptions &opts,
                                 const std::function<void(const QList<RemoteSocket> &)> &callback)
{
    Q_D(WorkerAdapter);
    QList<RemoteSocket> local;
    InMemoryAdapter::fetchSockets(opts, [&local](const QList<RemoteSocket> &sockets) { local = sockets; });
    if (opts.flags.local || !d->id) {
        callback(local);
        return;
    }
    WorkerAdapterPrivate::Request request;
    request.sockets = local;
    request.finish = [callback](const WorkerAdapterPrivate::Request &r, bool) { callback(r.sockets); };
    const quint64 requestId = d->startRequest(request, QStringLiteral("fetchSockets"));
    const quint64 requester = d->id;
    const std::shared_ptr<WorkerHubPrivate> hub = d->hub;
    const int sent = d->hub->postOthers(d->nspName, this, [opts, requestId, requester, hub](WorkerAdapter *target) {
        QList<SocketInfo> infos;
        target->InMemoryAdapter::fetchSockets(opts, [&infos](const QList<RemoteSocket> &sockets) {
            for (const RemoteSocket &s : sockets)
                infos.append({s.id(), s.handshake(), s.rooms(), s.data()});
        });
        hub->postTo(requester, [requestId, infos](WorkerAdapter *origin) {
            WorkerAdapterPrivate::get(origin)->answer(requestId, [origin, &infos](WorkerAdapterPrivate::Request &r) {
                for (const SocketInfo &info : infos)
                    r.sockets.append(RemoteSocket(origin, info.id, info.handshake, info.rooms, info.data));
            });
        });
    });
    auto it = d->requests.find(requestId);
    it->expected = sent;
    if (sent == 0) {
        // alone: still never inside the call, like the other servers' answers
        QPointer<WorkerAdapter> guard(this);
        QMetaObject::invokeMethod(this, [guard, requestId] {
            if (guard)
                guard->d_func()->finishRequest(requestId, false);
        }, Qt::QueuedConnection);
    }
}

namespace {

// socketsJoin/socketsLeave/disconnectSockets: \a apply runs on every worker's adapter of the
// namespace, the others' in their threads (unless opts.flags.local), then on \a self.
void applyEverywhere(WorkerAdapter *self, WorkerAdapterPrivate *d, const BroadcastOptions &opts,
                     const std::function<void(WorkerAdapter *adapter)> &apply)
{
    if (!opts.flags.local && d->id)
        d->hub->postOthers(d->nspName, self, apply);
    apply(self);
}

} // namespace

void WorkerAdapter::addSockets(const BroadcastOptions &opts, const QStringList &rooms)
{
    applyEverywhere(this, d_func(), opts, [opts, rooms](WorkerAdapter *adapter) {
        adapter->InMemoryAdapter::addSockets(opts, rooms);
    });
}

void WorkerAdapter::delSockets(const BroadcastOptions &opts, const QStringList &rooms)
{
    applyEverywhere(this, d_func(), opts, [opts, rooms](WorkerAdapter *adapter) {
        adapter->InMemoryAdapter::delSockets(opts, rooms);
    });
}

void WorkerAdapter::disconnectSockets(const BroadcastOptions &opts, bool close)
{
    applyEverywhere(this, d_func(), opts, [opts, close](WorkerAdapter *adapter) {
        adapter->InMemoryAdapter::disconnectSockets(opts, close);
    });
}

namespace {

// Emits serverSideEventReceived (and, with \a ack, serverSideEventWithAckReceived) on the
// namespace of \a target, like a cluster adapter receiving another node's serverSideEmit.
void emitServerSide(WorkerAdapter *target, const QCborArray &packet, const Namespace::ServerSideAck &ack)
{
    Namespace *nsp = target->nsp();
    if (!nsp || packet.isEmpty() || !packet.at(0).isString())
        return;
    const QString event = packet.at(0).toString();
    QCborArray args = packet;
    args.removeFirst();
    QPointer<Namespace> guard(nsp);
    Q_EMIT nsp->serverSideEventReceived(event, args);
    if (ack && guard)
        Q_EMIT guard->serverSideEventWithAckReceived(event, args, ack);
}

} // namespace

bool WorkerAdapter::serverSideEmit(const QCborArray &packet)
{
    Q_D(WorkerAdapter);
    if (!d->id)
        return false;
    d->hub->postOthers(d->nspName, this, [packet](WorkerAdapter *target) { emitServerSide(target, packet, {}); });
    return true;
}

void WorkerAdapter::serverSideEmitWithAck(const QCborArray &packet, const ServerSideAckCallback &callback)
{
    Q_D(WorkerAdapter);
    WorkerAdapterPrivate::Request request;
    request.finish = [callback](const WorkerAdapterPrivate::Request &r, bool timedOut) {
        callback(timedOut ? QStringLiteral("timeout reached: only %1 responses received out of %2")
                                    .arg(r.responses.size())
                                    .arg(r.expected)
                          : QString(),
                 r.responses);
    };
    const quint64 requestId = d->startRequest(request, QStringLiteral("serverSideEmitWithAck"));
    const quint64 requester = d->id;
    const std::shared_ptr<WorkerHubPrivate> hub = d->hub;
    const int sent = !d->id ? 0 : d->hub->postOthers(d->nspName, this, [packet, requestId, requester, hub](WorkerAdapter *target) {
        auto called = std::make_shared<std::atomic<bool>>(false);
        const Namespace::ServerSideAck ack = [hub, requester, requestId, called](const QCborValue &response) {
            if (called->exchange(true))
                return;   // one answer per server
            hub->postTo(requester, [requestId, response](WorkerAdapter *origin) {
                WorkerAdapterPrivate::get(origin)->answer(
                        requestId, [&response](WorkerAdapterPrivate::Request &r) { r.responses.append(response); });
            });
        };
        emitServerSide(target, packet, ack);
    });
    d->requests[requestId].expected = sent;
    if (sent == 0) {
        QPointer<WorkerAdapter> guard(this);
        QMetaObject::invokeMethod(this, [guard, requestId] {
            if (guard)
                guard->d_func()->finishRequest(requestId, false);
        }, Qt::QueuedConnection);
    }
}

void WorkerAdapter::persistSession(const QCborMap &session)
{
    Q_D(WorkerAdapter);
    if (d->recovery)
        SessionAwareAdapter::persistSession(session);
}

void WorkerAdapter::restoreSession(const QString &pid, const QString &offset,
                                   const std::function<void(const QCborMap &session)> &callback)
{
    Q_D(WorkerAdapter);
    if (!d->recovery) {
        callback(QCborMap());
        return;
    }
    QCborMap local;
    SessionAwareAdapter::restoreSession(pid, offset, [&local](const QCborMap &session) { local = session; });
    if (!local.isEmpty() || !d->id) {
        callback(local);
        return;
    }
    // persisted by another server (the client reconnected to another worker): ask them; the one
    // that has it answers with the session and the packets missed, from its own log
    WorkerAdapterPrivate::Request request;
    request.finish = [callback](const WorkerAdapterPrivate::Request &r, bool) { callback(r.session); };
    const quint64 requestId = d->startRequest(request, QStringLiteral("restoreSession"));
    const quint64 requester = d->id;
    const std::shared_ptr<WorkerHubPrivate> hub = d->hub;
    const int sent = d->hub->postOthers(d->nspName, this, [pid, offset, requestId, requester, hub](WorkerAdapter *target) {
        QCborMap found;
        if (WorkerAdapterPrivate::get(target)->recovery) {
            target->SessionAwareAdapter::restoreSession(pid, offset,
                                                        [&found](const QCborMap &session) { found = session; });
        }
        hub->postTo(requester, [requestId, found](WorkerAdapter *origin) {
            WorkerAdapterPrivate *d = WorkerAdapterPrivate::get(origin);
            d->answer(requestId, [&found](WorkerAdapterPrivate::Request &r) {
                if (r.session.isEmpty())
                    r.session = found;
            });
            // the first server that has it ends the wait
            if (!found.isEmpty())
                d->finishRequest(requestId, false);
        });
    });
    d->requests[requestId].expected = sent;
    if (sent == 0) {
        QPointer<WorkerAdapter> guard(this);
        QMetaObject::invokeMethod(this, [guard, requestId] {
            if (guard)
                guard->d_func()->finishRequest(requestId, false);
        }, Qt::QueuedConnection);
    }
}

} // namespace SocketIo
