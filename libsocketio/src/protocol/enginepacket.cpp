#include "enginepacket.h"
#include "utf8_p.h"

namespace SocketIo::Protocol {

namespace {

constexpr char RecordSeparator = '\x1e';

void setError(QString *error, const QString &message)
{
    if (error)
        *error = message;
}

bool isBase64Char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+'
        || c == '/';
}

// Standard alphabet; padding optional but, when present, only at the end and consistent.
bool decodeBase64Strict(QByteArrayView in, QByteArray *out)
{
    qsizetype end = in.size();
    int padding = 0;
    while (end > 0 && in[end - 1] == '=' && padding < 2) {
        --end;
        ++padding;
    }
    for (qsizetype i = 0; i < end; ++i) {
        if (!isBase64Char(in[i]))
            return false;
    }
    const qsizetype rest = end % 4;
    if (rest == 1)
        return false;                                  // 6 bits cannot encode a byte
    if (padding && (end + padding) % 4 != 0)
        return false;
    auto result = QByteArray::fromBase64Encoding(in.first(end).toByteArray(),
                                                 QByteArray::AbortOnBase64DecodingErrors);
    if (!result)
        return false;
    *out = std::move(result.decoded);
    return true;
}

} // namespace

QByteArray encodeEnginePacket(const EnginePacket &packet)
{
    if (packet.binary)
        return QByteArrayLiteral("b") + packet.data.toBase64();
    if (packet.framed)
        return packet.data;   // the text form already (shared, not copied)
    QByteArray out;
    out.reserve(packet.data.size() + 1);
    out.append(char('0' + int(packet.type)));
    out.append(packet.data);
    return out;
}

bool decodeEnginePacket(QByteArrayView text, EnginePacket *packet, QString *error)
{
    if (text.isEmpty()) {
        setError(error, QStringLiteral("empty packet"));
        return false;
    }
    const char first = text[0];
    if (first == 'b') {
        QByteArray raw;
        if (!decodeBase64Strict(text.sliced(1), &raw)) {
            setError(error, QStringLiteral("invalid base64 in binary packet"));
            return false;
        }
        if (packet)
            *packet = EnginePacket::bytes(raw);
        return true;
    }
    if (first < '0' || first > '6') {
        setError(error, QStringLiteral("unknown packet type"));
        return false;
    }
    const QByteArrayView data = text.sliced(1);
    if (!Utf8::isValid(data)) {
        setError(error, QStringLiteral("invalid UTF-8 in packet"));
        return false;
    }
    if (packet)
        *packet = EnginePacket::text(EnginePacketType(first - '0'), data.toByteArray());
    return true;
}

bool decodeValidUtf8EnginePacket(QByteArray &&text, EnginePacket *packet, QString *error)
{
    const char first = text.isEmpty() ? '\0' : text.at(0);
    if (first < '0' || first > '6')
        return decodeEnginePacket(text, packet, error);   // empty, binary or unknown type
    text.remove(0, 1);   // in place: the data start moves, nothing is copied
    if (packet)
        *packet = EnginePacket::text(EnginePacketType(first - '0'), text);
    return true;
}

QByteArray encodePayload(const QList<EnginePacket> &packets)
{
    QByteArray out;
    qsizetype size = 0;
    for (const EnginePacket &p : packets)
        size += encodedPayloadSize(p) + 1;
    out.reserve(size);
    for (qsizetype i = 0; i < packets.size(); ++i) {
        if (i)
            out.append(RecordSeparator);
        out.append(encodeEnginePacket(packets.at(i)));
    }
    return out;
}

qsizetype encodedPayloadSize(const EnginePacket &packet)
{
    if (packet.binary)
        return 1 + 4 * ((packet.data.size() + 2) / 3);
    if (packet.framed)
        return packet.data.size();
    return 1 + packet.data.size();
}

bool decodePayload(QByteArrayView payload, QList<EnginePacket> *packets, QString *error)
{
    if (packets)
        packets->clear();
    if (payload.isEmpty()) {
        setError(error, QStringLiteral("empty payload"));
        return false;
    }
    qsizetype start = 0;
    while (true) {
        qsizetype sep = payload.indexOf(RecordSeparator, start);
        const qsizetype end = sep < 0 ? payload.size() : sep;
        EnginePacket packet;
        if (!decodeEnginePacket(payload.sliced(start, end - start), &packet, error))
            return false;
        if (packets)
            packets->append(std::move(packet));
        if (sep < 0)
            return true;
        start = sep + 1;
    }
}

} // namespace SocketIo::Protocol
