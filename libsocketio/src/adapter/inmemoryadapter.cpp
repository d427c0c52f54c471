#include "inmemoryadapter.h"

#include "socketio/logging_p.h"

#include <SocketIo/namespace.h>
#include <SocketIo/remotesocket.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace SocketIo {

class InMemoryAdapterPrivate
{
public:
    QHash<QString, QSet<QString>> rooms;   // room → socket ids
    QHash<QString, QSet<QString>> sids;    // socket id → rooms
    QHash<QString, quint64> order;         // socket id → join sequence, for a stable delivery order
    quint64 sequence = 0;

    void removeFromRoom(InMemoryAdapter *q, const QString &room, const QString &id)
    {
        auto it = rooms.find(room);
        if (it == rooms.end())
            return;
        if (it->remove(id))
            Q_EMIT q->roomLeft(room, id);
        it = rooms.find(room);   // a slot may have changed the table
        if (it != rooms.end() && it->isEmpty()) {
            rooms.erase(it);
            Q_EMIT q->roomDeleted(room);
        }
    }
};

InMemoryAdapter::InMemoryAdapter(Namespace *nsp)
    : Adapter(nsp), d_ptr(new InMemoryAdapterPrivate)
{
}

InMemoryAdapter::~InMemoryAdapter() = default;

void InMemoryAdapter::addAll(const QString &id, const QSet<QString> &rooms)
{
    Q_D(InMemoryAdapter);
    if (!d->sids.contains(id)) {
        d->order.insert(id, d->sequence++);
        if (rooms.size() == 1 && *rooms.constBegin() == id && !d->rooms.contains(id)) {
            // A new socket joining its own room (every connection): the room's member set and
            // the socket's room set are both {id}, so they share one QSet (Qt 6.4 allocates about
            // 1.4 KB even for a single element); the first change to either detaches it. Same
            // signals, in the same order and with the same state, as the general path below.
            const QSet<QString> own{id};
            d->sids.insert(id, own);
            d->rooms.insert(id, {});
            Q_EMIT roomCreated(id);
            QSet<QString> &members = d->rooms[id];   // as below: a slot may have changed the table
            if (!members.contains(id)) {
                if (members.isEmpty())
                    members = own;
                else
                    members.insert(id);
                Q_EMIT roomJoined(id, id);
            }
            return;
        }
        d->sids.insert(id, {});
    }
    for (const QString &room : rooms) {
        d->sids[id].insert(room);
        if (!d->rooms.contains(room)) {
            d->rooms.insert(room, {});
            Q_EMIT roomCreated(room);
        }
        if (!d->rooms[room].contains(id)) {
            d->rooms[room].insert(id);
            Q_EMIT roomJoined(room, id);
        }
    }
}

void InMemoryAdapter::del(const QString &id, const QString &room)
{
    Q_D(InMemoryAdapter);
    auto it = d->sids.find(id);
    if (it != d->sids.end())
        it->remove(room);
    d->removeFromRoom(this, room, id);
}

void InMemoryAdapter::delAll(const QString &id)
{
    Q_D(InMemoryAdapter);
    auto it = d->sids.find(id);
    if (it == d->sids.end())
        return;
    const QSet<QString> rooms = *it;
    d->sids.erase(it);
    d->order.remove(id);
    for (const QString &room : rooms)
        d->removeFromRoom(this, room, id);
}

QStringList InMemoryAdapter::selectLocal(const BroadcastOptions &opts) const
{
    Q_D(const InMemoryAdapter);
    // Every target once, with its join sequence: sorting these integers gives the join order
    // without string comparisons or a hash lookup per comparison. The pointers refer to keys of
    // d->rooms / d->sids or of the local set below, none of which changes during this call.
    std::vector<std::pair<quint64, const QString *>> targets;
    const auto add = [&targets, d](const QString &id) { targets.emplace_back(d->order.value(id), &id); };
    QSet<QString> ids;   // only for several rooms or an except: the union without duplicates
    if (opts.except.isEmpty() && opts.rooms.size() == 1) {
        // the common case (io.to(room).emit): the room's members, no set built or copied
        auto it = d->rooms.constFind(*opts.rooms.constBegin());
        if (it != d->rooms.constEnd()) {
            targets.reserve(size_t(it->size()));
            for (const QString &id : *it)
                add(id);
        }
    } else if (opts.except.isEmpty() && opts.rooms.isEmpty()) {
        targets.reserve(size_t(d->sids.size()));
        for (auto it = d->sids.constBegin(); it != d->sids.constEnd(); ++it)
            add(it.key());
    } else {
        QSet<QString> except;
        for (const QString &room : opts.except) {
            auto it = d->rooms.constFind(room);
            if (it != d->rooms.constEnd())
                except.unite(*it);
        }
        if (!opts.rooms.isEmpty()) {
            for (const QString &room : opts.rooms) {
                auto it = d->rooms.constFind(room);
                if (it == d->rooms.constEnd())
                    continue;
                for (const QString &id : *it) {
                    if (!except.contains(id))
                        ids.insert(id);
                }
            }
        } else {
            for (auto it = d->sids.constBegin(); it != d->sids.constEnd(); ++it) {
                if (!except.contains(it.key()))
                    ids.insert(it.key());
            }
        }
        targets.reserve(size_t(ids.size()));
        for (const QString &id : std::as_const(ids))
            add(id);
    }
    std::sort(targets.begin(), targets.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });
    QStringList list;
    list.reserve(qsizetype(targets.size()));
    for (const auto &target : targets) {
        if (localSocket(*target.second))   // only sockets of this node's namespace
            list.append(*target.second);
    }
    return list;
}

void InMemoryAdapter::broadcast(const Packet &packet, const BroadcastOptions &opts)
{
    const EncodedPacket encoded = encode(packet);   // once for every recipient
    const QStringList ids = selectLocal(opts);
    for (const QString &id : ids)
        writeToSocket(id, packet, encoded, opts.flags);
}

void InMemoryAdapter::broadcastWithAck(const Packet &packet, const BroadcastOptions &opts,
                                       const ClientCountCallback &clientCountCallback,
                                       const AckCallback &ackCallback)
{
    const EncodedPacket encoded = encode(packet);
    const QStringList ids = selectLocal(opts);
    int clientCount = 0;
    for (const QString &id : ids) {
        if (!expectAck(id, packet.id, ackCallback))
            continue;
        ++clientCount;
        writeToSocket(id, packet, encoded, opts.flags);
    }
    clientCountCallback(clientCount);
}

QSet<QString> InMemoryAdapter::sockets(const QSet<QString> &rooms) const
{
    BroadcastOptions opts;
    opts.rooms = rooms;
    const QStringList ids = selectLocal(opts);
    return QSet<QString>(ids.begin(), ids.end());
}

QSet<QString> InMemoryAdapter::socketRooms(const QString &id) const
{
    return d_func()->sids.value(id);
}

void InMemoryAdapter::fetchSockets(const BroadcastOptions &opts,
                                   const std::function<void(const QList<RemoteSocket> &)> &callback)
{
    QList<RemoteSocket> list;
    const QStringList ids = selectLocal(opts);
    for (const QString &id : ids) {
        if (auto socket = remoteSocketFor(id))
            list.append(*socket);
    }
    callback(list);
}

void InMemoryAdapter::addSockets(const BroadcastOptions &opts, const QStringList &rooms)
{
    const QStringList ids = selectLocal(opts);
    for (const QString &id : ids)
        joinLocal(id, rooms);
}

void InMemoryAdapter::delSockets(const BroadcastOptions &opts, const QStringList &rooms)
{
    const QStringList ids = selectLocal(opts);
    for (const QString &id : ids)
        leaveLocal(id, rooms);
}

void InMemoryAdapter::disconnectSockets(const BroadcastOptions &opts, bool close)
{
    const QStringList ids = selectLocal(opts);
    for (const QString &id : ids)
        disconnectLocal(id, close);
}

QHash<QString, QSet<QString>> InMemoryAdapter::rooms() const { return d_func()->rooms; }
QHash<QString, QSet<QString>> InMemoryAdapter::sids() const { return d_func()->sids; }

} // namespace SocketIo
