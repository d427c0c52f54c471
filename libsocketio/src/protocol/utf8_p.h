// Strict UTF-8 (RFC 3629), shared by the codecs: no overlong forms, no encoded surrogates,
// nothing above U+10FFFF. Node decodes leniently (U+FFFD), but a C++ peer must never see
// invalid text.
#pragma once

#include <QByteArrayView>

namespace SocketIo::Protocol::Utf8 {

/*! Length of the valid sequence starting at \a p (lead byte >= 0x80), 0 if invalid. */
inline int sequenceLength(const uchar *p, const uchar *end)
{
    const uchar c = p[0];
    auto cont = [&](int i, uchar lo = 0x80, uchar hi = 0xbf) {
        return p + i < end && p[i] >= lo && p[i] <= hi;
    };
    if (c >= 0xc2 && c <= 0xdf)
        return cont(1) ? 2 : 0;
    if (c == 0xe0)
        return cont(1, 0xa0) && cont(2) ? 3 : 0;
    if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef)
        return cont(1) && cont(2) ? 3 : 0;
    if (c == 0xed)
        return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
    if (c == 0xf0)
        return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
    if (c >= 0xf1 && c <= 0xf3)
        return cont(1) && cont(2) && cont(3) ? 4 : 0;
    if (c == 0xf4)
        return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
    return 0;
}

/*! True if all of \a bytes is strictly valid UTF-8. */
inline bool isValid(QByteArrayView bytes)
{
    const auto *p = reinterpret_cast<const uchar *>(bytes.data());
    const uchar *end = p + bytes.size();
    while (p < end) {
        if (*p < 0x80) {
            ++p;
            continue;
        }
        const int n = sequenceLength(p, end);
        if (n == 0)
            return false;
        p += n;
    }
    return true;
}

} // namespace SocketIo::Protocol::Utf8
