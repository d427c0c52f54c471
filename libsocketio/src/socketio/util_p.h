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

/*! Number of byte strings in \a value, found where the JSON writer finds them (array elements,
    map values, tagged values, within Protocol::MaxJsonDepth): the binary attachments a packet
    carrying \a value is sent with. */
int countBinaries(const QCborValue &value);
/*! True (after a warning naming \a where and \a event) if \a args carry more binary attachments
    than socket.io-parser >= 4.2.6 accepts (Protocol::MaxAttachments): such a packet would make a
    JavaScript peer close the connection with "parse error" (protocol.md 2.3). */
bool refuseTooManyAttachments(const QCborArray &args, const QString &event, const char *where);
/*! True (after the warning saying why) if \a event with \a args may not be sent to a client: a
    reserved name, or too many binary attachments. Every server-side emit checks this. */
bool refuseEmit(const QString &event, const QCborArray &args, const char *where);

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
