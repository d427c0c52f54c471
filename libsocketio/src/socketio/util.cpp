#include "util_p.h"

#include "logging_p.h"

#include <QRandomGenerator>

namespace SocketIo::Internal {

QString generateBase64Id()
{
    QByteArray bytes(15, Qt::Uninitialized);
    QRandomGenerator *rng = QRandomGenerator::system();
    for (char &byte : bytes)
        byte = char(rng->bounded(256));
    return QString::fromLatin1(bytes.toBase64(QByteArray::Base64UrlEncoding));
}

Protocol::Packet toProtocol(const SocketIo::Packet &packet)
{
    Protocol::Packet p;
    p.type = Protocol::PacketType(int(packet.type));
    p.nsp = packet.nsp;
    p.id = packet.id;
    p.data = packet.data;
    return p;
}

SocketIo::Packet fromProtocol(const Protocol::Packet &packet)
{
    SocketIo::Packet p;
    p.type = SocketIo::PacketType(int(packet.type));
    p.nsp = packet.nsp;
    p.id = packet.id;
    p.data = packet.data;
    return p;
}

SocketIo::EncodedPacket encode(const SocketIo::Packet &packet)
{
    const Protocol::EncodedPacket encoded = Protocol::encodePacket(toProtocol(packet));
    return SocketIo::EncodedPacket{encoded.text, encoded.attachments};
}

bool refuseReservedEvent(const QString &event, const char *where)
{
    if (Protocol::isReservedEventName(event)) {
        qCWarning(lcServer, "%s: \"%s\" is a reserved event name; nothing sent", where, qUtf8Printable(event));
        return true;
    }
    return false;
}

QCborArray eventData(const QString &event, const QCborArray &args)
{
    QCborArray data;
    data.append(event);
    for (const QCborValue &v : args)
        data.append(v);
    return data;
}

} // namespace SocketIo::Internal
