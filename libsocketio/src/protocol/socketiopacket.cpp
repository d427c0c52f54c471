#include "socketiopacket.h"

#include "cborelement_p.h"
#include "json.h"

#include <QCborMap>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace SocketIo::Protocol {

namespace {

// The reference decoder reads the packet header with JavaScript's Number(): a single whitespace
// character counts as 0, and Number(" 1 ") is 1. To decode exactly like it, we need JavaScript's
// whitespace set (WhiteSpace and LineTerminator of ECMA-262) on UTF-8 input.
// Returns the byte length of the whitespace character at p, 0 if there is none.
int jsWhitespaceLength(const uchar *p, const uchar *end)
{
    if (p >= end)
        return 0;
    const uchar c = p[0];
    if (c == 0x09 || c == 0x0a || c == 0x0b || c == 0x0c || c == 0x0d || c == 0x20)
        return 1;
    const qsizetype left = end - p;
    if (c == 0xc2)
        return left >= 2 && p[1] == 0xa0 ? 2 : 0; // U+00A0
    if (left < 3)
        return 0;
    if (c == 0xe1)
        return p[1] == 0x9a && p[2] == 0x80 ? 3 : 0; // U+1680
    if (c == 0xe2) {
        if (p[1] == 0x80)                                   // U+2000..U+200A, U+2028, U+2029, U+202F
            return (p[2] <= 0x8a && p[2] >= 0x80) || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf ? 3 : 0;
        return p[1] == 0x81 && p[2] == 0x9f ? 3 : 0;        // U+205F
    }
    if (c == 0xe3)
        return p[1] == 0x80 && p[2] == 0x80 ? 3 : 0; // U+3000
    if (c == 0xef)
        return p[1] == 0xbb && p[2] == 0xbf ? 3 : 0; // U+FEFF
    return 0;
}

inline bool isDigit(uchar c)
{
    return c >= '0' && c <= '9';
}

// JavaScript's Number(string) (ECMA-262 StringToNumber) for the attachment count; NaN when the
// text is not a numeric literal. Out-of-range magnitudes come back as 0 or infinity, which the
// caller refuses like JavaScript's Infinity and 0 anyway.
double jsStringToNumber(const uchar *p, const uchar *end)
{
    constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
    while (int n = jsWhitespaceLength(p, end))
        p += n;
    // Trailing whitespace: scan forward for the end of the literal, then require only spaces.
    const uchar *literalEnd = p;
    while (literalEnd < end && !jsWhitespaceLength(literalEnd, end))
        ++literalEnd;
    for (const uchar *q = literalEnd; q < end;) {
        const int n = jsWhitespaceLength(q, end);
        if (!n)
            return NaN;
        q += n;
    }
    end = literalEnd;
    if (p == end)
        return 0;

    if (end - p > 2 && p[0] == '0') {
        int base = 0;
        switch (p[1]) {
        case 'x': case 'X': base = 16; break;
        case 'o': case 'O': base = 8; break;
        case 'b': case 'B': base = 2; break;
        default: break;
        }
        if (base) {
            double value = 0;
            for (const uchar *q = p + 2; q < end; ++q) {
                int digit;
                if (isDigit(*q))
                    digit = *q - '0';
                else if (*q >= 'a' && *q <= 'f')
                    digit = *q - 'a' + 10;
                else if (*q >= 'A' && *q <= 'F')
                    digit = *q - 'A' + 10;
                else
                    return NaN;
                if (digit >= base)
                    return NaN;
                value = value * base + digit;
            }
            return value;
        }
    }

    bool negative = false;
    if (*p == '+' || *p == '-') {
        negative = *p == '-';
        ++p;
    }
    constexpr char infinity[] = "Infinity";
    if (end - p == qsizetype(sizeof infinity - 1) && std::memcmp(p, infinity, sizeof infinity - 1) == 0)
        return negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();

    // StrUnsignedDecimalLiteral: digits [. digits] | . digits, then an optional exponent.
    // Rebuilt in a form std::from_chars takes ("5." and ".5" become "5.0" and "0.5").
    std::string text;
    const uchar *q = p;
    const uchar *intStart = q;
    while (q < end && isDigit(*q))
        ++q;
    const qsizetype intDigits = q - intStart;
    text.assign(reinterpret_cast<const char *>(intStart), size_t(intDigits));
    qsizetype fracDigits = 0;
    if (q < end && *q == '.') {
        ++q;
        const uchar *fracStart = q;
        while (q < end && isDigit(*q))
            ++q;
        fracDigits = q - fracStart;
        text += '.';
        text.append(reinterpret_cast<const char *>(fracStart), size_t(fracDigits));
    }
    if (intDigits == 0 && fracDigits == 0)
        return NaN;
    if (intDigits == 0)
        text.insert(text.begin(), '0');
    if (q < end && (*q == 'e' || *q == 'E')) {
        const uchar *expStart = q++;
        if (q < end && (*q == '+' || *q == '-'))
            ++q;
        const uchar *expDigits = q;
        while (q < end && isDigit(*q))
            ++q;
        if (q == expDigits)
            return NaN;
        text.append(reinterpret_cast<const char *>(expStart), size_t(q - expStart));
    }
    if (q != end)
        return NaN;
    double value = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), value);
    if (r.ec == std::errc::result_out_of_range)
        value = 0; // refused by the caller either way, as JavaScript's 0 or Infinity would be
    else if (r.ec != std::errc())
        return NaN;
    return negative ? -value : value;
}

bool isValidUtf8(const uchar *p, const uchar *end)
{
    return QUtf8StringView(reinterpret_cast<const char *>(p), end - p).isValidUtf8();
}

// socket.io-parser isPayloadValid, for a payload that is present. An EVENT's name, when it is a
// string, is stored in *eventName.
bool isPayloadValid(PacketType type, const QCborValue &payload, QString *eventName)
{
    switch (type) {
    case PacketType::Connect:
        return payload.isMap();
    case PacketType::Disconnect:
        return false;
    case PacketType::ConnectError:
        return payload.isString() || payload.isMap();
    case PacketType::Event:
    case PacketType::BinaryEvent: {
        if (!payload.isArray())
            return false;
        const QCborArray array = payload.toArray();
        if (array.isEmpty())
            return false;
        const QCborValueConstRef first = *array.constBegin();
        const QCborValue::Type firstType = CborElement::type(first);
        if (firstType == QCborValue::Integer || firstType == QCborValue::Double)
            return true;
        if (firstType != QCborValue::String)
            return false;
        *eventName = CborElement::string(first);
        return !isReservedEventName(*eventName);
    }
    case PacketType::Ack:
    case PacketType::BinaryAck:
        return payload.isArray();
    }
    return false;
}

// binary.ts reconstructPacket: every object whose "_placeholder" is true becomes buffer "num".
// Works in place: a child is taken out of its parent before it is modified, so that it is not
// shared and does not get copied.
bool reconstruct(QCborValue &value, const QList<QByteArray> &buffers)
{
    if (value.isArray()) {
        QCborArray array = value.toArray();
        value = QCborValue();
        for (qsizetype i = 0; i < array.size(); ++i) {
            if (!array.at(i).isContainer())
                continue;
            QCborValue child = array.at(i);
            array[i] = QCborValue();
            if (!reconstruct(child, buffers))
                return false;
            array[i] = child;
        }
        value = std::move(array);
        return true;
    }
    if (!value.isMap())
        return true;

    QCborMap map = value.toMap();
    if (map.value(QLatin1StringView("_placeholder")).isTrue()) {
        const QCborValue num = map.value(QLatin1StringView("num"));
        // The reference takes any number in range and indexes with it, so 1.5 would yield
        // undefined; we refuse non-integers too.
        double index = -1;
        if (num.isInteger())
            index = double(num.toInteger());
        else if (num.isDouble() && std::trunc(num.toDouble()) == num.toDouble())
            index = num.toDouble();
        if (!(index >= 0 && index < double(buffers.size())))
            return false;
        value = QCborValue(buffers.at(qsizetype(index)));
        return true;
    }
    value = QCborValue();
    for (auto it = map.begin(); it != map.end(); ++it) {
        QCborValue child = it.value();
        if (!child.isContainer())
            continue;
        it.value() = QCborValue();
        if (!reconstruct(child, buffers))
            return false;
        it.value() = child;
    }
    value = std::move(map);
    return true;
}

} // namespace

EncodedPacket encodePacket(const Packet &packet)
{
    EncodedPacket encoded;
    PacketType type = packet.type;
    if (type == PacketType::BinaryEvent)
        type = PacketType::Event;
    else if (type == PacketType::BinaryAck)
        type = PacketType::Ack;

    // The reference writes no payload for null either (`null != obj.data`).
    const bool hasData = !packet.data.isUndefined() && !packet.data.isNull() && !packet.data.isInvalid();
    // Byte strings become attachments only in EVENT and ACK (elsewhere they are written as null).
    const bool mayBeBinary = hasData && (type == PacketType::Event || type == PacketType::Ack);

    const bool customNamespace = !packet.nsp.isEmpty() && packet.nsp != QLatin1StringView("/");
    if (customNamespace && packet.nsp.contains(u','))
        return {}; // a comma ends the namespace on the wire: the packet could not be decoded

    // Header and JSON go into one buffer, written as for a packet without attachments; the JSON
    // writer collects the byte strings on the way, and only if it found some is the header
    // rewritten with the binary type and the attachment count (no separate pass over the data).
    QByteArray &text = encoded.text;
    text.reserve(128 + (customNamespace ? packet.nsp.size() * 3 : 0));
    text.append(char('0' + int(type)));
    if (customNamespace) {
        text.append(packet.nsp.toUtf8());
        text.append(',');
    }
    char number[24];
    if (packet.id >= 0) {
        const auto r = std::to_chars(number, number + sizeof number, packet.id);
        text.append(number, r.ptr - number);
    }
    if (hasData)
        Json::writeTo(&text, packet.data, mayBeBinary ? &encoded.attachments : nullptr);
    if (!encoded.attachments.isEmpty()) {
        type = type == PacketType::Event ? PacketType::BinaryEvent : PacketType::BinaryAck;
        const auto r = std::to_chars(number, number + sizeof number, encoded.attachments.size());
        QByteArray binaryText;
        binaryText.reserve(text.size() + (r.ptr - number) + 1);
        binaryText.append(char('0' + int(type)));
        binaryText.append(number, r.ptr - number);
        binaryText.append('-');
        binaryText.append(QByteArrayView(text).sliced(1));
        text = std::move(binaryText);
    }
    return encoded;
}

namespace {
// encodeConnectReply(), after \a prefix (empty, or the Engine.IO message type "4")
QByteArray writeConnectReply(QByteArrayView prefix, const QString &nsp, const QString &sid, const QString &pid)
{
    const bool customNamespace = !nsp.isEmpty() && nsp != QLatin1StringView("/");
    if (customNamespace && nsp.contains(u','))
        return {};   // as encodePacket(): not decodable
    QByteArray text;
    text.reserve(prefix.size() + 24 + sid.size() + pid.size() + (customNamespace ? nsp.size() * 3 + 1 : 0));
    text.append(prefix);
    text.append('0');
    if (customNamespace) {
        text.append(nsp.toUtf8());
        text.append(',');
    }
    // ids are base64url: copied as they are when nothing needs escaping, else the JSON writer
    const auto appendString = [&text](const QString &string) {
        for (const QChar c : string) {
            const char16_t u = c.unicode();
            if (u < 0x20 || u >= 0x7f || u == u'"' || u == u'\\') {
                Json::writeStringTo(&text, string);
                return;
            }
        }
        text.append('"');
        const qsizetype at = text.size();
        text.resize(at + string.size());
        char *out = text.data() + at;
        for (const QChar c : string)
            *out++ = char(c.unicode());
        text.append('"');
    };
    text.append("{\"sid\":", 7);
    appendString(sid);
    if (!pid.isEmpty()) {
        text.append(",\"pid\":", 7);
        appendString(pid);
    }
    text.append('}');
    return text;
}
} // namespace

QByteArray encodeConnectReply(const QString &nsp, const QString &sid, const QString &pid)
{
    return writeConnectReply({}, nsp, sid, pid);
}

QByteArray encodeConnectReplyMessage(const QString &nsp, const QString &sid, const QString &pid)
{
    const QByteArray message = writeConnectReply("4", nsp, sid, pid);
    return message.isEmpty() ? QByteArrayLiteral("4") : message;
}

bool isReservedEventName(const QString &name)
{
    static constexpr QLatin1StringView reserved[] = {
        QLatin1StringView("connect"),     QLatin1StringView("connect_error"),
        QLatin1StringView("disconnect"),  QLatin1StringView("disconnecting"),
        QLatin1StringView("newListener"), QLatin1StringView("removeListener"),
    };
    for (QLatin1StringView r : reserved) {
        if (name == r)
            return true;
    }
    return false;
}

Decoder::Decoder(int maxAttachments) : m_maxAttachments(maxAttachments) {}

Decoder::Result Decoder::fail(const QString &error)
{
    m_error = error;
    m_failed = true;
    m_reconstructing = false;
    m_buffers.clear();
    m_packet = Packet();
    return Result::Error;
}

Decoder::Result Decoder::addText(QByteArrayView utf8)
{
    if (m_failed)
        return Result::Error;
    if (m_reconstructing)
        return fail(QStringLiteral("got plaintext data when reconstructing a packet"));
    // An Engine.IO message without data ("4") reaches socket.io's decoder as undefined, which it
    // refuses (socket.io-parser's Decoder.add); only its decodeString("") would read a CONNECT.
    if (utf8.isEmpty())
        return fail(QStringLiteral("Unknown type: undefined"));

    const uchar *const begin = reinterpret_cast<const uchar *>(utf8.data());
    const uchar *const end = begin + utf8.size();
    const uchar *p = begin;
    Packet packet;

    // 1. Type: Number(first character), so a leading whitespace character reads as 0 (CONNECT),
    //    as in the reference; the error names the number as socket.io-parser does (NaN for
    //    anything that is not a digit).
    int type;
    if (isDigit(*p)) {
        type = *p - '0';
        ++p;
    } else if (const int n = jsWhitespaceLength(p, end)) {
        type = 0;
        p += n;
    } else {
        return fail(QStringLiteral("unknown packet type NaN"));
    }
    if (type > int(PacketType::BinaryAck))
        return fail(QStringLiteral("unknown packet type ") + QString::number(type));
    packet.type = PacketType(type);
    const bool binary = packet.type == PacketType::BinaryEvent || packet.type == PacketType::BinaryAck;

    // 2. Attachment count: everything up to the first '-', read with Number().
    int attachments = 0;
    if (binary) {
        const uchar *dash = static_cast<const uchar *>(std::memchr(p, '-', size_t(end - p)));
        if (!dash)
            return fail(QStringLiteral("Illegal attachments"));
        const double n = jsStringToNumber(p, dash);
        if (!(std::isfinite(n) && std::trunc(n) == n && n >= 1))
            return fail(QStringLiteral("Illegal attachments"));
        if (n > m_maxAttachments)
            return fail(QStringLiteral("too many attachments"));
        attachments = int(n);
        p = dash + 1;
    }

    // 3. Namespace: from '/' up to the next ',' (consumed) or the end.
    if (p < end && *p == '/') {
        const uchar *comma = static_cast<const uchar *>(std::memchr(p, ',', size_t(end - p)));
        const uchar *nspEnd = comma ? comma : end;
        if (!isValidUtf8(p, nspEnd))
            return fail(QStringLiteral("namespace is not valid UTF-8"));
        packet.nsp = QString::fromUtf8(reinterpret_cast<const char *>(p), nspEnd - p);
        p = comma ? comma + 1 : end;
    }

    // 4. Ack id: the run of characters c with Number(c) == c, i.e. digits and whitespace, read
    //    with Number(). So "2 [...]" carries ack id 0 in the reference too.
    if (p < end && (isDigit(*p) || jsWhitespaceLength(p, end))) {
        qint64 id = 0;
        bool digitsSeen = false;
        bool digitsEnded = false; // whitespace after digits: only more whitespace may follow
        while (p < end) {
            if (isDigit(*p)) {
                const int digit = *p - '0';
                // Number() gives NaN for "1 2"; JavaScript would round ids beyond 2^53 where we
                // keep 64 bits exactly, and refuse what does not fit.
                if (digitsEnded || id > (std::numeric_limits<qint64>::max() - digit) / 10)
                    return fail(QStringLiteral("invalid ack id"));
                id = id * 10 + digit;
                digitsSeen = true;
                ++p;
            } else if (const int n = jsWhitespaceLength(p, end)) {
                digitsEnded = digitsSeen;
                p += n;
            } else {
                break;
            }
        }
        packet.id = id;
    }

    // 5. Payload: JSON, checked against the validity table.
    if (p < end) {
        QCborValue payload;
        QString jsonError;
        Json::ReadInfo info;
        info.separateFirstString = m_separateEventName
                && (packet.type == PacketType::Event || packet.type == PacketType::BinaryEvent);
        // socket.io-parser's words, whatever the JSON reader found wrong
        if (!Json::read(QByteArrayView(p, end - p), &payload, &jsonError, &info))
            return fail(QStringLiteral("invalid payload"));
        if (info.firstStringSeparated) {
            // [name, ...args] with a string name: what isPayloadValid() checks of it
            if (isReservedEventName(info.firstString))
                return fail(QStringLiteral("invalid payload"));
            packet.event = std::move(info.firstString);
            packet.argsOnly = true;
        } else if (!isPayloadValid(packet.type, payload, &packet.event)) {
            return fail(QStringLiteral("invalid payload"));
        }
        packet.data = std::move(payload);
    }

    // 6. Binary packets wait for their attachments and are reported as EVENT/ACK.
    if (binary) {
        packet.type = packet.type == PacketType::BinaryEvent ? PacketType::Event : PacketType::Ack;
        m_packet = std::move(packet);
        m_expectedAttachments = attachments;
        m_buffers.clear();
        m_buffers.reserve(attachments);
        m_reconstructing = true;
        return Result::NeedMore;
    }
    m_packet = std::move(packet);
    return Result::Packet;
}

Decoder::Result Decoder::addBinary(const QByteArray &data)
{
    if (m_failed)
        return Result::Error;
    if (!m_reconstructing)
        return fail(QStringLiteral("got binary data when not reconstructing a packet"));
    m_buffers.append(data);
    if (m_buffers.size() < m_expectedAttachments)
        return Result::NeedMore;
    if (!reconstruct(m_packet.data, m_buffers))
        return fail(QStringLiteral("illegal attachments"));
    m_reconstructing = false;
    m_buffers.clear();
    return Result::Packet;
}

Packet Decoder::takePacket()
{
    Packet packet = std::move(m_packet);
    m_packet = Packet();
    return packet;
}

QString Decoder::errorString() const
{
    return m_error;
}

bool Decoder::isReconstructing() const
{
    return m_reconstructing;
}

void Decoder::reset()
{
    m_packet = Packet();
    m_expectedAttachments = 0;
    m_buffers.clear();
    m_error.clear();
    m_reconstructing = false;
    m_failed = false;
}

} // namespace SocketIo::Protocol
