#include "inmemoryadapter.h"
#include "inmemoryadapter_p.h"

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
    struct SocketEntry
    {
        quint64 order = 0;                   // join sequence, for a stable delivery order
        Internal::CompactStringSet rooms;
    };
    QHash<QString, Internal::CompactStringSet> rooms;   // room → socket ids
    QHash<QString, SocketEntry> sids;                   // socket id → join sequence, rooms
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
        InMemoryAdapterPrivate::SocketEntry entry;
        entry.order = d->sequence++;
        if (rooms.size() == 1 && rooms.contains(id) && !d->rooms.contains(id)) {   // not constBegin(): it scans 128 buckets
            // A new socket joining its own room (every connection): the room's member set and
            // the socket's room set are both {id}, so they share one list (implicitly shared;
            // the first change to either detaches it). Same signals, in the same order and with
            // the same state, as the general path below.
            const Internal::CompactStringSet own(id);
            entry.rooms = own;
            d->sids.insert(id, entry);
            d->rooms.insert(id, {});
            Q_EMIT roomCreated(id);
            Internal::CompactStringSet &members = d->rooms[id];   // a slot may have changed the table
            if (!members.contains(id)) {
                if (members.isEmpty())
                    members = own;
                else
                    members.insert(id);
                Q_EMIT roomJoined(id, id);
            }
            return;
        }
        d->sids.insert(id, entry);
    }
    for (const QString &room : rooms) {
        d->sids[id].rooms.insert(room);
        if (!d->rooms.contains(room)) {
            d->rooms.insert(room, {});
            Q_EMIT roomCreated(room);
        }
        if (d->rooms[room].insert(id))
            Q_EMIT roomJoined(room, id);
    }
}

void InMemoryAdapter::del(const QString &id, const QString &room)
{
    Q_D(InMemoryAdapter);
    auto it = d->sids.find(id);
    if (it != d->sids.end())
        it->rooms.remove(room);
    d->removeFromRoom(this, room, id);
}

void InMemoryAdapter::delAll(const QString &id)
{
    Q_D(InMemoryAdapter);
    auto it = d->sids.find(id);
    if (it == d->sids.end())
        return;
    const Internal::CompactStringSet rooms = std::move(it->rooms);
    d->sids.erase(it);
    rooms.forEach([this, d, &id](const QString &room) { d->removeFromRoom(this, room, id); });
}

QStringList InMemoryAdapter::selectLocal(const BroadcastOptions &opts) const
{
    Q_D(const InMemoryAdapter);
    // Every target once, with its join sequence: sorting these integers gives the join order
    // without string comparisons or a hash lookup per comparison. The pointers refer to keys of
    // d->rooms / d->sids or of the local set below, none of which changes during this call.
    std::vector<std::pair<quint64, const QString *>> targets;
    const auto add = [&targets, d](const QString &id) {
        const auto it = d->sids.constFind(id);
        targets.emplace_back(it == d->sids.constEnd() ? 0 : it->order, &id);
    };
    QSet<QString> ids;   // only for several rooms or an except: the union without duplicates
    if (opts.except.isEmpty() && opts.rooms.size() == 1) {
        // the common case (io.to(room).emit): the room's members, no set built or copied
        auto it = d->rooms.constFind(*opts.rooms.constBegin());
        if (it != d->rooms.constEnd()) {
            targets.reserve(size_t(it->size()));
            it->forEach(add);
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
                it->forEach([&except](const QString &id) { except.insert(id); });
        }
        if (!opts.rooms.isEmpty()) {
            for (const QString &room : opts.rooms) {
                auto it = d->rooms.constFind(room);
                if (it == d->rooms.constEnd())
                    continue;
                it->forEach([&except, &ids](const QString &id) {
                    if (!except.contains(id))
                        ids.insert(id);
                });
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
    Q_D(const InMemoryAdapter);
    const auto it = d->sids.constFind(id);
    return it == d->sids.constEnd() ? QSet<QString>() : it->rooms.toSet();
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

QHash<QString, QSet<QString>> InMemoryAdapter::rooms() const
{
    Q_D(const InMemoryAdapter);
    QHash<QString, QSet<QString>> table;
    table.reserve(d->rooms.size());
    for (auto it = d->rooms.constBegin(); it != d->rooms.constEnd(); ++it)
        table.insert(it.key(), it->toSet());
    return table;
}

QHash<QString, QSet<QString>> InMemoryAdapter::sids() const
{
    Q_D(const InMemoryAdapter);
    QHash<QString, QSet<QString>> table;
    table.reserve(d->sids.size());
    for (auto it = d->sids.constBegin(); it != d->sids.constEnd(); ++it)
        table.insert(it.key(), it->rooms.toSet());
    return table;
}

bool InMemoryAdapter::hasRoom(const QString &room) const { return d_func()->rooms.contains(room); }
bool InMemoryAdapter::hasSocket(const QString &id) const { return d_func()->sids.contains(id); }

QStringList InMemoryAdapter::roomNames() const
{
    Q_D(const InMemoryAdapter);
    QStringList names;
    names.reserve(d->rooms.size());
    for (auto it = d->rooms.constBegin(); it != d->rooms.constEnd(); ++it)
        names.append(it.key());
    return names;
}

} // namespace SocketIo
