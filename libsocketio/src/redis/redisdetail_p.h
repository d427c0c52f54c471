// Helpers shared by the classic (RedisAdapter) and sharded (RedisShardedAdapter) adapters:
// conversions between socket.io-adapter's JavaScript shapes and ours. Defined in redisadapter.cpp.
#pragma once

#include <SocketIo/adapter.h>
#include <SocketIo/remotesocket.h>

#include <QCborArray>
#include <QCborMap>
#include <QList>
#include <QSet>
#include <QString>

#include <optional>

namespace SocketIo::RedisDetail {

/*! A JavaScript array made of a Set. */
QCborArray toArray(const QSet<QString> &set);
/*! A JavaScript Set built from a JSON/msgpack array: strings, numbers taken as their text. */
QSet<QString> toSet(const QCborValue &value);
/*! `{rooms, except}` and, \a withFlags, `flags` (volatile, compress false, timeout). */
QCborMap optsToCbor(const BroadcastOptions &opts, bool withFlags);
/*! The reverse of optsToCbor(); flags.local is set (delivered here, never relayed again). */
BroadcastOptions optsFromCbor(const QCborValue &value);
/*! `{type, data, nsp}` (BINARY_EVENT written as EVENT, like socket.io's broadcast operator). */
QCborMap packetToCbor(const Packet &packet, const QString &nsp);
/*! An EVENT packet with [event, ...args] data; nsp absent -> "/". Sets \a why otherwise. */
std::optional<Packet> packetFromCbor(const QCborValue &value, QString *why);
/*! \a socket as in a fetchSockets answer: its handshake without sessionStore. */
QCborMap socketToCbor(const RemoteSocket &socket);
/*! Appends the sockets of a fetchSockets answer (\a list: [{id, handshake, rooms, data}], entries
    without id skipped) to \a sockets, as sockets of \a adapter. */
void appendSockets(Adapter *adapter, const QCborValue &list, QList<RemoteSocket> *sockets);
/*! A JSON object (first byte `{`) or a msgpack map; sets \a error and returns {} otherwise. */
QCborMap decodeMap(const QByteArray &payload, QString *error);

} // namespace SocketIo::RedisDetail
