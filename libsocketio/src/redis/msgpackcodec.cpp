#include "msgpackcodec.h"

#include <QCborArray>
#include <QCborMap>
#include <QDateTime>

#include <msgpack.h>

#include <cmath>
#include <limits>

namespace SocketIo::MsgPack {

namespace {

// ---- encoding -------------------------------------------------------------------------------

int writeToByteArray(void *data, const char *buf, size_t len)
{
    static_cast<QByteArray *>(data)->append(buf, qsizetype(len));
    return 0;
}

void packString(msgpack_packer *pk, const QString &string)
{
    const QByteArray utf8 = string.toUtf8();
    msgpack_pack_str_with_body(pk, utf8.constData(), size_t(utf8.size()));
}

void packValue(msgpack_packer *pk, const QCborValue &value)
{
    switch (value.type()) {
    case QCborValue::Integer:
        msgpack_pack_int64(pk, value.toInteger());
        return;
    case QCborValue::Double: {
        const double d = value.toDouble();
        // JavaScript has one number type: notepack writes integral values as integers
        constexpr double maxSafe = 9007199254740991.0;
        if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) <= maxSafe && !(d == 0 && std::signbit(d)))
            msgpack_pack_int64(pk, qint64(d));
        else
            msgpack_pack_double(pk, d);
        return;
    }
    case QCborValue::True:
        msgpack_pack_true(pk);
        return;
    case QCborValue::False:
        msgpack_pack_false(pk);
        return;
    case QCborValue::String:
        packString(pk, value.toString());
        return;
    case QCborValue::ByteArray: {
        const QByteArray bytes = value.toByteArray();
        msgpack_pack_bin_with_body(pk, bytes.constData(), size_t(bytes.size()));
        return;
    }
    case QCborValue::Array: {
        const QCborArray array = value.toArray();
        msgpack_pack_array(pk, size_t(array.size()));
        for (const QCborValue &element : array)
            packValue(pk, element);
        return;
    }
    case QCborValue::Map: {
        const QCborMap map = value.toMap();
        size_t count = 0;
        for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
            if (!it.value().isUndefined())
                ++count;
        }
        msgpack_pack_map(pk, count);
        for (auto it = map.constBegin(); it != map.constEnd(); ++it) {
            if (it.value().isUndefined())
                continue;   // JavaScript drops undefined properties
            packString(pk, it.key().isString() ? it.key().toString() : it.key().toDiagnosticNotation());
            packValue(pk, it.value());
        }
        return;
    }
    case QCborValue::DateTime:
        packString(pk, value.toDateTime().toUTC().toString(Qt::ISODateWithMs));
        return;
    case QCborValue::Url:
        packString(pk, value.toUrl().toString());
        return;
    case QCborValue::RegularExpression:
    case QCborValue::Uuid:
        packString(pk, value.toVariant().toString());
        return;
    case QCborValue::Tag:
        packValue(pk, value.taggedValue());
        return;
    default:   // null, undefined, simple types, invalid
        msgpack_pack_nil(pk);
        return;
    }
}

// ---- decoding -------------------------------------------------------------------------------

quint64 readBigEndian(const uchar *p, int size)
{
    quint64 v = 0;
    for (int i = 0; i < size; ++i)
        v = (v << 8) | p[i];
    return v;
}

// Walks the headers of one msgpack value without building it, so that msgpack-c never allocates
// for a container that announces more elements than the input could hold (a 5-byte array header
// may claim 4 billion elements). Returns the offset after the value, or -1.
qsizetype scan(const uchar *data, qsizetype size, QString *error)
{
    qsizetype pos = 0;
    quint64 pending = 1;   // values still to read
    auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return qsizetype(-1);
    };
    while (pending > 0) {
        if (pos >= size)
            return fail(QStringLiteral("truncated msgpack value"));
        if (pending > quint64(size - pos))
            return fail(QStringLiteral("msgpack containers announce more elements than bytes left"));
        --pending;
        const uchar b = data[pos++];
        quint64 skip = 0;     // payload bytes after the header
        quint64 children = 0;
        int lenSize = 0;      // size of a length field that follows
        int kind = 0;         // 0 payload, 1 array, 2 map, 3 ext (type byte + payload)
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
        } else if (b >= 0x80 && b <= 0x8f) {
            children = 2 * quint64(b & 0x0f);
        } else if (b >= 0x90 && b <= 0x9f) {
            children = b & 0x0f;
        } else if (b >= 0xa0 && b <= 0xbf) {
            skip = b & 0x1f;
        } else {
            switch (b) {
            case 0xc4: case 0xd9: lenSize = 1; break;
            case 0xc5: case 0xda: lenSize = 2; break;
            case 0xc6: case 0xdb: lenSize = 4; break;
            case 0xc7: lenSize = 1; kind = 3; break;
            case 0xc8: lenSize = 2; kind = 3; break;
            case 0xc9: lenSize = 4; kind = 3; break;
            case 0xca: skip = 4; break;
            case 0xcb: skip = 8; break;
            case 0xcc: case 0xd0: skip = 1; break;
            case 0xcd: case 0xd1: skip = 2; break;
            case 0xce: case 0xd2: skip = 4; break;
            case 0xcf: case 0xd3: skip = 8; break;
            case 0xd4: skip = 2; break;
            case 0xd5: skip = 3; break;
            case 0xd6: skip = 5; break;
            case 0xd7: skip = 9; break;
            case 0xd8: skip = 17; break;
            case 0xdc: lenSize = 2; kind = 1; break;
            case 0xdd: lenSize = 4; kind = 1; break;
            case 0xde: lenSize = 2; kind = 2; break;
            case 0xdf: lenSize = 4; kind = 2; break;
            default:
                return fail(QStringLiteral("invalid msgpack type byte 0x%1").arg(b, 2, 16, QLatin1Char('0')));
            }
        }
        if (lenSize) {
            if (size - pos < lenSize)
                return fail(QStringLiteral("truncated msgpack length"));
            const quint64 n = readBigEndian(data + pos, lenSize);
            pos += lenSize;
            if (kind == 1)
                children = n;
            else if (kind == 2)
                children = 2 * n;
            else if (kind == 3)
                skip = n + 1;
            else
                skip = n;
        }
        if (skip > quint64(size - pos))
            return fail(QStringLiteral("truncated msgpack value"));
        pos += qsizetype(skip);
        pending += children;
    }
    return pos;
}

QString toQString(const msgpack_object_str &s)
{
    return QString::fromUtf8(s.ptr, qsizetype(s.size));
}

QCborValue convert(const msgpack_object &o)
{
    switch (o.type) {
    case MSGPACK_OBJECT_NIL:
        return QCborValue(nullptr);
    case MSGPACK_OBJECT_BOOLEAN:
        return QCborValue(o.via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o.via.u64 > quint64(std::numeric_limits<qint64>::max()))
            return QCborValue(double(o.via.u64));
        return QCborValue(qint64(o.via.u64));
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        return QCborValue(qint64(o.via.i64));
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        return QCborValue(o.via.f64);
    case MSGPACK_OBJECT_STR:
        return QCborValue(toQString(o.via.str));
    case MSGPACK_OBJECT_BIN:
        return QCborValue(QByteArray(o.via.bin.ptr, qsizetype(o.via.bin.size)));
    case MSGPACK_OBJECT_ARRAY: {
        QCborArray array;
        for (uint32_t i = 0; i < o.via.array.size; ++i)
            array.append(convert(o.via.array.ptr[i]));
        return array;
    }
    case MSGPACK_OBJECT_MAP: {
        QCborMap map;
        for (uint32_t i = 0; i < o.via.map.size; ++i) {
            const msgpack_object_kv &kv = o.via.map.ptr[i];
            QString key;
            if (kv.key.type == MSGPACK_OBJECT_STR)
                key = toQString(kv.key.via.str);
            else if (kv.key.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                key = QString::number(kv.key.via.u64);
            else if (kv.key.type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
                key = QString::number(kv.key.via.i64);
            else
                key = convert(kv.key).toDiagnosticNotation();
            map.insert(key, convert(kv.val));
        }
        return map;
    }
    case MSGPACK_OBJECT_EXT: {
        msgpack_timestamp ts;
        if (o.via.ext.type == -1 && msgpack_object_to_timestamp(&o, &ts))
            return QCborValue(QDateTime::fromMSecsSinceEpoch(ts.tv_sec * 1000 + ts.tv_nsec / 1000000, Qt::UTC));
        return QCborValue();
    }
    }
    return QCborValue();
}

} // namespace

QByteArray encode(const QCborValue &value)
{
    QByteArray out;
    msgpack_packer pk;
    msgpack_packer_init(&pk, &out, writeToByteArray);
    packValue(&pk, value);
    return out;
}

QCborValue decode(QByteArrayView bytes, QString *error)
{
    const auto *data = reinterpret_cast<const uchar *>(bytes.data());
    const qsizetype end = scan(data, bytes.size(), error);
    if (end < 0)
        return QCborValue(QCborValue::Invalid);
    if (end != bytes.size()) {
        if (error)
            *error = QStringLiteral("%1 trailing bytes after the msgpack value").arg(bytes.size() - end);
        return QCborValue(QCborValue::Invalid);
    }
    msgpack_unpacked result;
    msgpack_unpacked_init(&result);
    size_t offset = 0;
    const msgpack_unpack_return ret = msgpack_unpack_next(&result, bytes.data(), size_t(bytes.size()), &offset);
    QCborValue value(QCborValue::Invalid);
    if (ret == MSGPACK_UNPACK_SUCCESS && offset == size_t(bytes.size()))
        value = convert(result.data);
    else if (error)
        *error = QStringLiteral("malformed msgpack value (msgpack-c error %1)").arg(int(ret));
    msgpack_unpacked_destroy(&result);
    return value;
}

} // namespace SocketIo::MsgPack
