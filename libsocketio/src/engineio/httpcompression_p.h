#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace SocketIo::Internal {

/*! The Content-Encoding engine.io's httpCompression would choose for a request with the
    Accept-Encoding header \a acceptEncoding, out of "gzip" and "deflate" (in that order of
    preference, as `accepts(req).encodings(["gzip", "deflate"])` with negotiator 0.6's rules:
    the client's q-values first, exact names before "*", then the client's order). Empty when the
    client accepts neither. */
QByteArray chooseHttpEncoding(QByteArrayView acceptEncoding);

/*! \a data compressed for Content-Encoding \a encoding ("gzip" or "deflate") at zlib \a level
    (-1: zlib's default). "deflate" is a zlib stream (RFC 1950), "gzip" a gzip member (RFC 1952)
    around the same deflate data. Empty if compression failed. */
QByteArray httpCompress(const QByteArray &data, QByteArrayView encoding, int level = -1);

} // namespace SocketIo::Internal
