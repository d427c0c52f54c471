// Byte helpers shared by the codecs and the engine's request handling: the hot paths scan request
// heads and queries byte by byte, so these are inline and use memchr()/memcmp() directly.
#pragma once

#include <QByteArrayView>
#include <QString>

#include <cstring>

namespace SocketIo::Protocol::Bytes {

/*! The value of the hexadecimal digit \a c (either case), -1 if it is none. */
constexpr int hexDigitValue(uchar c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*! The index of the first \a c in \a bytes from \a from, or -1 (safe on an empty view, whose data
    may be null). */
inline qsizetype indexOf(QByteArrayView bytes, char c, qsizetype from = 0)
{
    if (from >= bytes.size())
        return -1;
    const auto *at = static_cast<const char *>(std::memchr(bytes.data() + from, c, size_t(bytes.size() - from)));
    return at ? at - bytes.data() : -1;
}

/*! Whether \a a and \a b hold the same bytes. */
inline bool equals(QByteArrayView a, QByteArrayView b)
{
    return a.size() == b.size() && (a.isEmpty() || std::memcmp(a.data(), b.data(), size_t(a.size())) == 0);
}

} // namespace SocketIo::Protocol::Bytes

namespace SocketIo::Protocol {

/*! engine.io's and socket.io's base64id (session and socket ids): the 20-character base64url
    text ('-' and '_', no padding) of the 15 bytes at \a bytes, written straight into the string. */
inline QString encodeBase64Id(const uchar *bytes)
{
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    QString id(20, Qt::Uninitialized);
    QChar *out = id.data();
    for (int i = 0; i < 15; i += 3) {
        const quint32 group = quint32(bytes[i]) << 16 | quint32(bytes[i + 1]) << 8 | bytes[i + 2];
        *out++ = QLatin1Char(alphabet[group >> 18]);
        *out++ = QLatin1Char(alphabet[group >> 12 & 63]);
        *out++ = QLatin1Char(alphabet[group >> 6 & 63]);
        *out++ = QLatin1Char(alphabet[group & 63]);
    }
    return id;
}

} // namespace SocketIo::Protocol
