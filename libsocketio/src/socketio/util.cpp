#include "util_p.h"

#include "logging_p.h"

#include "protocol/bytes_p.h"
#include "protocol/limits.h"

#include <QCborMap>

#include <QRandomGenerator>

namespace SocketIo::Internal {

QString generateBase64Id()
{
    // one read of the system generator for all 15 bytes
    quint32 words[4];
    QRandomGenerator::system()->fillRange(words);
    return Protocol::encodeBase64Id(reinterpret_cast<const uchar *>(words));
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

namespace {
int countBinaries(const QCborValue &value, int depth)
{
    switch (value.type()) {
    case QCborValue::ByteArray:
        return 1;
    case QCborValue::Array: {
        // the writer puts null for containers this deep, so they carry no attachment
        if (depth >= Protocol::MaxJsonDepth)
            return 0;
        int n = 0;
        const QCborArray array = value.toArray();
        for (const QCborValue &v : array)
            n += countBinaries(v, depth + 1);
        return n;
    }
    case QCborValue::Map: {
        if (depth >= Protocol::MaxJsonDepth)
            return 0;
        int n = 0;
        const QCborMap map = value.toMap();
        for (auto it = map.constBegin(); it != map.constEnd(); ++it)
            n += countBinaries(it.value(), depth + 1);
        return n;
    }
    default:
        return value.isTag() ? countBinaries(value.taggedValue(), depth) : 0;
    }
}
} // namespace

int countBinaries(const QCborValue &value)
{
    return countBinaries(value, 0);
}

bool refuseTooManyAttachments(const QCborArray &args, const QString &event, const char *where)
{
    // args sit one level below the packet's data array, as in [event, ...args]
    const int binaries = countBinaries(QCborValue(args), 1);
    if (binaries <= Protocol::MaxAttachments)
        return false;
    qCWarning(lcServer, "%s(\"%s\"): %d binary values, more than the %d a Socket.IO peer accepts; nothing sent",
              where, qUtf8Printable(event), binaries, Protocol::MaxAttachments);
    return true;
}

bool refuseEmit(const QString &event, const QCborArray &args, const char *where)
{
    return refuseReservedEvent(event, where) || refuseTooManyAttachments(args, event, where);
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
