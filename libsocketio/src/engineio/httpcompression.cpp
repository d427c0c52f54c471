#include "httpcompression_p.h"

#include <QList>
#include <QtEndian>

#include <array>

namespace SocketIo::Internal {

namespace {

struct Spec
{
    double q = 0;
    int s = -1;   // 1: the coding by name, 0: "*", -1: no match
    int o = -1;   // index of the matching entry in Accept-Encoding
};

// The best entry of the header for \a coding, as negotiator's getEncodingPriority().
Spec priorityOf(const QList<QByteArrayView> &entries, QByteArrayView coding)
{
    Spec best;
    for (qsizetype o = 0; o < entries.size(); ++o) {
        QByteArrayView entry = entries.at(o).trimmed();
        QByteArrayView params;
        if (const qsizetype semi = entry.indexOf(';'); semi >= 0) {
            params = entry.sliced(semi + 1);
            entry = entry.first(semi).trimmed();
        }
        if (entry.isEmpty() || entry.contains(' ') || entry.contains('\t'))
            continue;
        int s;
        if (entry.compare(coding, Qt::CaseInsensitive) == 0)
            s = 1;
        else if (entry == "*")
            s = 0;
        else
            continue;
        double q = 1;
        qsizetype from = 0;
        while (from <= params.size()) {
            qsizetype end = params.indexOf(';', from);
            if (end < 0)
                end = params.size();
            const QByteArrayView param = params.sliced(from, end - from).trimmed();
            if (param.startsWith("q=")) {
                bool ok = false;
                q = param.sliced(2).trimmed().toDouble(&ok);
                if (!ok)
                    q = 0;   // parseFloat's NaN: never preferred
                break;
            }
            from = end + 1;
        }
        // negotiator: a later entry wins only if it is more specific, or as specific and higher
        // q, or equal on both (then the later index)
        if (s > best.s || (s == best.s && (q > best.q || (q == best.q && o > best.o))))
            best = {q, s, int(o)};
    }
    return best;
}

quint32 crc32(const QByteArray &data)
{
    static const std::array<quint32, 256> table = [] {
        std::array<quint32, 256> t{};
        for (quint32 n = 0; n < 256; ++n) {
            quint32 c = n;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }();
    quint32 c = 0xFFFFFFFFu;
    for (const char byte : data)
        c = table[(c ^ quint8(byte)) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

} // namespace

QByteArray chooseHttpEncoding(QByteArrayView acceptEncoding)
{
    if (acceptEncoding.trimmed().isEmpty())
        return {};
    QList<QByteArrayView> entries;
    qsizetype from = 0;
    while (from <= acceptEncoding.size()) {
        qsizetype end = acceptEncoding.indexOf(',', from);
        if (end < 0)
            end = acceptEncoding.size();
        entries.append(acceptEncoding.sliced(from, end - from));
        from = end + 1;
    }
    const Spec gzip = priorityOf(entries, "gzip");
    const Spec deflate = priorityOf(entries, "deflate");
    const bool gzipOk = gzip.s >= 0 && gzip.q > 0;
    const bool deflateOk = deflate.s >= 0 && deflate.q > 0;
    if (!gzipOk && !deflateOk)
        return {};
    if (gzipOk != deflateOk)
        return gzipOk ? QByteArrayLiteral("gzip") : QByteArrayLiteral("deflate");
    // both: q, then specificity, then the client's order; gzip on a tie (our order)
    if (deflate.q != gzip.q)
        return deflate.q > gzip.q ? QByteArrayLiteral("deflate") : QByteArrayLiteral("gzip");
    if (deflate.s != gzip.s)
        return deflate.s > gzip.s ? QByteArrayLiteral("deflate") : QByteArrayLiteral("gzip");
    return deflate.o < gzip.o ? QByteArrayLiteral("deflate") : QByteArrayLiteral("gzip");
}

QByteArray httpCompress(const QByteArray &data, QByteArrayView encoding, int level)
{
    // qCompress(): a 4-byte big-endian length, then a zlib stream (2-byte header, deflate data,
    // 4-byte Adler-32): the zlib stream is HTTP's "deflate"
    const QByteArray zlib = qCompress(data, level).mid(4);
    if (zlib.size() < 6)
        return {};   // qCompress() failed
    if (encoding != "gzip")
        return zlib;
    QByteArray gzip;
    gzip.reserve(zlib.size() + 12);
    // ID1 ID2, CM=8 (deflate), FLG=0, MTIME=0, XFL=0, OS=3 (Unix) as zlib writes it
    gzip.append("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
    gzip.append(zlib.constData() + 2, zlib.size() - 6);
    char trailer[8];
    qToLittleEndian<quint32>(crc32(data), trailer);
    qToLittleEndian<quint32>(quint32(data.size()), trailer + 4);   // ISIZE: the size modulo 2^32
    gzip.append(trailer, 8);
    return gzip;
}

} // namespace SocketIo::Internal
