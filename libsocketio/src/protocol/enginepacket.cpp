#include "enginepacket.h"

namespace SocketIo::Protocol {

namespace {

constexpr char RecordSeparator = '\x1e';

void setError(QString *error, const QString &message)
{
    if (error)
        *error = message;
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. Node
// decodes lenient (U+FFFD replacement), but a C++ peer must never see invalid text.
bool isValidUtf8(QByteArrayView bytes)
{
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
    const qsizetype n = bytes.size();
    qsizetype i = 0;
    while (i < n) {
        const unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        int extra = 0;
        unsigned char lo = 0x80, hi = 0xBF;  // bounds for the second byte
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
        } else if (c == 0xE0) {
            extra = 2; lo = 0xA0;
        } else if (c == 0xED) {
            extra = 2; hi = 0x9F;              // excludes surrogates
        } else if (c >= 0xE1 && c <= 0xEF) {
            extra = 2;
        } else if (c == 0xF0) {
            extra = 3; lo = 0x90;
        } else if (c >= 0xF1 && c <= 0xF3) {
            extra = 3;
        } else if (c == 0xF4) {
            extra = 3; hi = 0x8F;              // nothing above U+10FFFF
        } else {
            return false;
        }
        if (n - i <= extra)
            return false;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return false;
        for (int k = 2; k <= extra; ++k) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
        }
        i += extra + 1;
    }
    return true;
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
    if (!isValidUtf8(data)) {
        setError(error, QStringLiteral("invalid UTF-8 in packet"));
        return false;
    }
    if (packet)
        *packet = EnginePacket::text(EnginePacketType(first - '0'), data.toByteArray());
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
