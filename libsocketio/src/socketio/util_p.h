// Internal helpers of the server layer: ids, packet conversions, payload conversions.
#pragma once

#include <SocketIo/adapter.h>

#include "protocol/socketiopacket.h"

#include <QCborArray>
#include <QJsonArray>
#include <QString>
#include <QVariantList>

namespace SocketIo::Internal {

/*! A 20-character id like the base64id package: 15 random bytes, base64 with '-' and '_'. */
QString generateBase64Id();

Protocol::Packet toProtocol(const SocketIo::Packet &packet);
SocketIo::Packet fromProtocol(const Protocol::Packet &packet);
SocketIo::EncodedPacket encode(const SocketIo::Packet &packet);

/*! True (after a warning naming \a where) if \a event may not be emitted. */
bool refuseReservedEvent(const QString &event, const char *where);

inline QCborArray toCbor(const QJsonArray &args) { return QCborArray::fromJsonArray(args); }
inline QCborArray toCbor(const QVariantList &args) { return QCborArray::fromVariantList(args); }
inline QCborArray toCbor(std::initializer_list<QCborValue> args)
{
    QCborArray array;
    for (const QCborValue &v : args)
        array.append(v);
    return array;
}

/*! [event, ...args] */
QCborArray eventData(const QString &event, const QCborArray &args);

} // namespace SocketIo::Internal
