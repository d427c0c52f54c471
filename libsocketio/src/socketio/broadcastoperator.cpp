#include "broadcastoperator.h"

#include "ackreply_p.h"
#include "logging_p.h"
#include "namespace_p.h"
#include "util_p.h"

#include <SocketIo/ackreply.h>
#include <SocketIo/namespace.h>

#include <QTimer>

namespace SocketIo {

namespace {
// A parent (dynamic) namespace broadcasts on each of its children. Guarded pointers: a handler
// run while one namespace is served (eventSent, adapter signals) may delete a later one.
QList<QPointer<Namespace>> targets(Namespace *nsp)
{
    QList<QPointer<Namespace>> list;
    if (!nsp)
        return list;
    if (!nsp->isParent()) {
        list.append(nsp);
        return list;
    }
    const QList<Namespace *> children = nsp->children();
    for (Namespace *child : children)
        list.append(child);
    return list;
}
} // namespace

BroadcastOperator::BroadcastOperator(Namespace *nsp, const BroadcastOptions &options)
    : m_nsp(nsp), m_options(options)
{
}

BroadcastOperator BroadcastOperator::to(const QString &room) const
{
    BroadcastOperator op(*this);
    op.m_options.rooms.insert(room);
    return op;
}

BroadcastOperator BroadcastOperator::to(const QStringList &rooms) const
{
    BroadcastOperator op(*this);
    for (const QString &room : rooms)
        op.m_options.rooms.insert(room);
    return op;
}

BroadcastOperator BroadcastOperator::in(const QString &room) const { return to(room); }
BroadcastOperator BroadcastOperator::in(const QStringList &rooms) const { return to(rooms); }

BroadcastOperator BroadcastOperator::except(const QString &room) const
{
    BroadcastOperator op(*this);
    op.m_options.except.insert(room);
    return op;
}

BroadcastOperator BroadcastOperator::except(const QStringList &rooms) const
{
    BroadcastOperator op(*this);
    for (const QString &room : rooms)
        op.m_options.except.insert(room);
    return op;
}

BroadcastOperator BroadcastOperator::local() const
{
    BroadcastOperator op(*this);
    op.m_options.flags.local = true;
    return op;
}

BroadcastOperator BroadcastOperator::asVolatile() const
{
    BroadcastOperator op(*this);
    op.m_options.flags.isVolatile = true;
    return op;
}

BroadcastOperator BroadcastOperator::compress(bool compress) const
{
    BroadcastOperator op(*this);
    op.m_options.flags.compress = compress;
    return op;
}

BroadcastOperator BroadcastOperator::timeout(std::chrono::milliseconds timeout) const
{
    BroadcastOperator op(*this);
    op.m_options.flags.timeout = timeout;
    return op;
}

BroadcastOptions BroadcastOperator::options() const { return m_options; }
Namespace *BroadcastOperator::nsp() const { return m_nsp; }

bool BroadcastOperator::emitEvent(const QString &event, const QCborArray &args) const
{
    if (Internal::refuseEmit(event, args, "emitEvent"))
        return false;
    if (!m_nsp) {
        qCWarning(lcServer, "emitEvent(\"%s\"): the namespace is gone", qUtf8Printable(event));
        return false;
    }
    const QCborArray data = Internal::eventData(event, args);
    const QList<QPointer<Namespace>> list = targets(m_nsp);
    for (const QPointer<Namespace> &nsp : list) {
        if (!nsp || !nsp->adapter())
            continue;
        Packet packet;
        packet.type = PacketType::Event;
        packet.nsp = nsp->name();
        packet.data = data;
        nsp->adapter()->broadcast(packet, m_options);
    }
    return true;
}

bool BroadcastOperator::emitEvent(const QString &event, std::initializer_list<QCborValue> args) const
{
    return emitEvent(event, Internal::toCbor(args));
}

bool BroadcastOperator::emitEvent(const QString &event, const QJsonArray &args) const
{
    return emitEvent(event, Internal::toCbor(args));
}

bool BroadcastOperator::emitEvent(const QString &event, const QVariantList &args) const
{
    return emitEvent(event, Internal::toCbor(args));
}

bool BroadcastOperator::send(const QCborArray &args) const
{
    return emitEvent(QStringLiteral("message"), args);
}

namespace {
// Completion state of one broadcast-with-ack (socket.io's checkCompleteness).
struct BroadcastAckState
{
    QPointer<AckReply> reply;
    int expectedServerCount = 0;
    int actualServerCount = 0;
    int expectedClientCount = 0;
    int pendingServerCounts = 0;
    bool inCall = true;

    void check(bool later = false)
    {
        if (inCall || pendingServerCounts > 0 || !reply || reply->isFinished())
            return;
        AckReplyPrivate *r = AckReplyPrivate::get(reply);
        if (actualServerCount >= expectedServerCount && r->responses.size() >= expectedClientCount) {
            if (later)
                r->finishLater(AckReply::Error::NoError);
            else
                r->finish(AckReply::Error::NoError);
        }
    }
};
} // namespace

AckReply *BroadcastOperator::emitWithAck(const QString &event, const QCborArray &args) const
{
    AckReply *reply = AckReplyPrivate::create();
    AckReplyPrivate *r = AckReplyPrivate::get(reply);
    if (Internal::refuseEmit(event, args, "emitWithAck") || !m_nsp) {
        r->finishLater(AckReply::Error::NotSent);
        return reply;
    }
    std::chrono::milliseconds timeout = std::chrono::milliseconds::zero();
    if (m_options.flags.timeout)
        timeout = *m_options.flags.timeout;
    else
        qCWarning(lcServer, "emitWithAck(\"%s\") on a broadcast without timeout(): it times out at once",
                  qUtf8Printable(event));
    r->startTimer(timeout);

    auto state = std::make_shared<BroadcastAckState>();
    state->reply = reply;
    // Sockets that never answer would keep the ack forever: once the reply finishes (all answered
    // or timed out), each namespace drops the ack id from the sockets it was sent to.
    auto sent = std::make_shared<QList<QPair<QPointer<Namespace>, qint64>>>();
    r->cleanup = [sent] {
        for (const auto &[nsp, ackId] : std::as_const(*sent)) {
            if (nsp)
                NamespacePrivate::get(nsp)->closeBroadcastAck(ackId);
        }
    };
    const QCborArray data = Internal::eventData(event, args);
    const QList<QPointer<Namespace>> list = targets(m_nsp);
    for (const QPointer<Namespace> &nsp : list) {
        if (!nsp || !nsp->adapter())
            continue;
        Packet packet;
        packet.type = PacketType::Event;
        packet.nsp = nsp->name();
        packet.id = NamespacePrivate::get(nsp)->allocateAckId();
        packet.data = data;
        NamespacePrivate::get(nsp)->openBroadcastAck(packet.id);
        sent->append({nsp, packet.id});
        // each namespace's adapter reports its server count and, per server, its client count
        ++state->pendingServerCounts;
        nsp->adapter()->broadcastWithAck(
                packet, m_options,
                [state](int clientCount) {
                    state->expectedClientCount += clientCount;
                    ++state->actualServerCount;
                    state->check();
                },
                [state](const QCborArray &ackArgs) {
                    if (!state->reply || state->reply->isFinished())
                        return;
                    AckReplyPrivate::get(state->reply)->responses.append(ackArgs.isEmpty() ? QCborValue()
                                                                                          : ackArgs.at(0));
                    state->check();
                });
        nsp->adapter()->serverCount([state](int count) {
            state->expectedServerCount += count;
            --state->pendingServerCounts;
            state->check();
        });
    }
    state->inCall = false;
    state->check(true);   // never finish inside the call
    return reply;
}

AckReply *BroadcastOperator::emitWithAck(const QString &event, std::initializer_list<QCborValue> args) const
{
    return emitWithAck(event, Internal::toCbor(args));
}

void BroadcastOperator::fetchSockets(const QObject *context,
                                     const std::function<void(const QList<RemoteSocket> &)> &callback) const
{
    if (!context) {
        qCWarning(lcServer, "fetchSockets(): a context object is required");
        return;
    }
    QPointer<const QObject> contextGuard(context);
    const QList<QPointer<Namespace>> list = targets(m_nsp);
    struct State
    {
        QList<RemoteSocket> sockets;
        int pending = 0;
        bool inCall = true;
        bool delivered = false;
    };
    auto state = std::make_shared<State>();
    auto deliver = [state, contextGuard, callback] {
        if (state->delivered)
            return;
        state->delivered = true;
        if (state->inCall) {
            QMetaObject::invokeMethod(const_cast<QObject *>(contextGuard.data()), [state, contextGuard, callback] {
                if (contextGuard)
                    callback(state->sockets);
            }, Qt::QueuedConnection);
        } else if (contextGuard) {
            callback(state->sockets);
        }
    };
    for (const QPointer<Namespace> &nsp : list) {
        if (nsp && nsp->adapter())
            ++state->pending;
    }
    if (state->pending == 0) {
        deliver();
        return;
    }
    for (const QPointer<Namespace> &nsp : list) {
        if (!nsp || !nsp->adapter())
            continue;
        nsp->adapter()->fetchSockets(m_options, [state, deliver](const QList<RemoteSocket> &sockets) {
            state->sockets += sockets;
            if (--state->pending == 0)
                deliver();
        });
    }
    state->inCall = false;
}

void BroadcastOperator::socketsJoin(const QStringList &rooms) const
{
    for (const QPointer<Namespace> &nsp : targets(m_nsp)) {
        if (nsp && nsp->adapter())
            nsp->adapter()->addSockets(m_options, rooms);
    }
}

void BroadcastOperator::socketsJoin(const QString &room) const { socketsJoin(QStringList{room}); }

void BroadcastOperator::socketsLeave(const QStringList &rooms) const
{
    for (const QPointer<Namespace> &nsp : targets(m_nsp)) {
        if (nsp && nsp->adapter())
            nsp->adapter()->delSockets(m_options, rooms);
    }
}

void BroadcastOperator::socketsLeave(const QString &room) const { socketsLeave(QStringList{room}); }

void BroadcastOperator::disconnectSockets(bool close) const
{
    for (const QPointer<Namespace> &nsp : targets(m_nsp)) {
        if (nsp && nsp->adapter())
            nsp->adapter()->disconnectSockets(m_options, close);
    }
}

} // namespace SocketIo
