// Engine.IO protocol revision 4 packet and polling payload codec (protocol.md 1.2, 1.3).
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <cstring>

namespace SocketIo::Protocol {

enum class EnginePacketType : quint8 {
    Open = 0,
    Close = 1,
    Ping = 2,
    Pong = 3,
    Message = 4,
    Upgrade = 5,
    Noop = 6,
};

/*! One Engine.IO packet. For text packets \c data is UTF-8; for a binary message \c binary is
    true, \c type is Message and \c data holds the raw bytes. A \c framed packet is a text
    message whose \c data is its whole text form already ("4" followed by the UTF-8 payload),
    built once by the library's own encoder for every recipient of a broadcast: it is sent as it
    is (no copy, no UTF-8 check), so it must be valid UTF-8 by construction.
    \c compress is engine.io's per-packet `options.compress` (true unless an emit said
    compress(false)): a polling response is HTTP-compressed only if at least one of its packets
    has it (protocol.md 1.6). Outgoing only; not part of the wire form. */
struct EnginePacket
{
    EnginePacketType type = EnginePacketType::Message;
    QByteArray data;
    bool binary = false;
    bool framed = false;
    bool compress = true;

    static EnginePacket text(EnginePacketType type, const QByteArray &utf8 = {})
    { return EnginePacket{type, utf8, false, false}; }
    static EnginePacket bytes(const QByteArray &raw)
    { return EnginePacket{EnginePacketType::Message, raw, true, false}; }
    /*! A message packet from its text form \a message ("4" + valid UTF-8), see \c framed. */
    static EnginePacket framedMessage(const QByteArray &message)
    { return EnginePacket{EnginePacketType::Message, message, false, true}; }
    /*! Size of the message's data: the UTF-8 payload (without the type digit of a framed
        packet), or the raw bytes of a binary message. */
    qsizetype dataSize() const { return framed ? qMax(qsizetype(0), data.size() - 1) : data.size(); }
};

/*! The text form "4" + \a utf8 of a message packet, for EnginePacket::framedMessage(). */
inline QByteArray messageText(QByteArrayView utf8)
{
    QByteArray out(utf8.size() + 1, Qt::Uninitialized);
    out[0] = '4';
    if (!utf8.isEmpty())
        memcpy(out.data() + 1, utf8.data(), size_t(utf8.size()));
    return out;
}

/*! One Socket.IO packet as Engine.IO messages: the text \a utf8, then each binary attachment,
    all with the compress flag \a compress. */
inline QList<EnginePacket> messagePackets(const QByteArray &utf8, const QList<QByteArray> &binaries,
                                          bool compress = true)
{
    QList<EnginePacket> packets;
    packets.reserve(binaries.size() + 1);
    packets.append(EnginePacket::text(EnginePacketType::Message, utf8));
    for (const QByteArray &b : binaries)
        packets.append(EnginePacket::bytes(b));
    if (!compress) {
        for (EnginePacket &p : packets)
            p.compress = false;
    }
    return packets;
}

/*! Text form of one packet: "<type digit><data>"; a binary message as "b<base64>". */
QByteArray encodeEnginePacket(const EnginePacket &packet);

/*! Decodes the text form of one packet (a WebSocket text frame or one payload record).
    "b<base64>" gives a binary message (padded or unpadded base64 accepted; invalid base64 is an
    error). Empty input, an unknown type character or invalid UTF-8 is an error. */
bool decodeEnginePacket(QByteArrayView text, EnginePacket *packet, QString *error = nullptr);
/*! decodeEnginePacket() of \a text already known to be valid UTF-8 (e.g. QString::toUtf8() of a
    WebSocket text frame), taken over: a text packet's data are its bytes after the type digit,
    neither checked again nor copied. */
bool decodeValidUtf8EnginePacket(QByteArray &&text, EnginePacket *packet, QString *error = nullptr);

/*! Polling payload: packets joined by the record separator 0x1E, no trailing separator. */
QByteArray encodePayload(const QList<EnginePacket> &packets);

/*! Byte size of \a packet inside a payload, for splitting at maxPayload. */
qsizetype encodedPayloadSize(const EnginePacket &packet);

/*! Decodes a polling payload. Decoding stops at the first invalid record: the packets before it
    are returned in *packets, the function returns false and sets *error. An empty body is an
    error. */
bool decodePayload(QByteArrayView payload, QList<EnginePacket> *packets, QString *error = nullptr);

} // namespace SocketIo::Protocol
