// ASCII helpers shared by the codecs.
#pragma once

#include <QtGlobal>

namespace SocketIo::Protocol::Ascii {

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

} // namespace SocketIo::Protocol::Ascii
