#include "jsconversion_p.h"

#include "qmllogging_p.h"

#include <QCborMap>
#include <QJSEngine>
#include <QJSValueIterator>

#include <cmath>

using namespace Qt::StringLiterals;

namespace SocketIo::JsConversion {

namespace {

// 2^53: beyond it a JavaScript number no longer represents every integer exactly.
constexpr double MaxSafeInteger = 9007199254740992.0;

class ToCbor
{
public:
    ToCbor(QJSEngine *engine, QString *error)
        : m_error(error)
    {
        if (engine) {
            m_arrayBuffer = engine->globalObject().property(u"ArrayBuffer"_s);
            m_isView = m_arrayBuffer.property(u"isView"_s);
            m_objectToString = engine->globalObject().property(u"Object"_s).property(u"prototype"_s)
                                   .property(u"toString"_s);
            m_arrayPrototype = engine->globalObject().property(u"Array"_s).property(u"prototype"_s);
            m_isPrototypeOf = engine->globalObject().property(u"Object"_s).property(u"prototype"_s)
                                  .property(u"isPrototypeOf"_s);
        }
    }

    /*! A JavaScript array, or a QML sequence (a list<T> property, a QStringList or QVariantList
        of a C++ object), which QJSValue::isArray() does not count: its prototype is
        Array.prototype, so JavaScript code uses it as an array and JSON.stringify() writes one. */
    bool isArrayLike(const QJSValue &value) const
    {
        if (value.isArray())
            return true;
        return value.isObject() && m_isPrototypeOf.isCallable()
            && m_isPrototypeOf.callWithInstance(m_arrayPrototype, {value}).toBool();
    }

    // Converts \a value; undefined (also for functions) is returned as QCborValue::Undefined so
    // the caller can drop it (object member) or turn it into null (array element).
    bool convert(const QJSValue &value, const QString &key, int depth, QCborValue *out)
    {
        if (value.isUndefined() || value.isCallable()) {
            *out = QCborValue(QCborSimpleType::Undefined);
            return true;
        }
        if (value.isNull()) {
            *out = QCborValue(nullptr);
            return true;
        }
        if (value.isBool()) {
            *out = QCborValue(value.toBool());
            return true;
        }
        if (value.isNumber()) {
            *out = number(value.toNumber());
            return true;
        }
        if (value.isString()) {
            *out = QCborValue(value.toString());
            return true;
        }
        if (!value.isObject()) {
            *out = QCborValue(nullptr);
            return true;
        }
        if (depth >= MaxDepth) {
            *m_error = u"arguments nest deeper than %1 levels (a cycle?)"_s.arg(MaxDepth);
            return false;
        }
        if (isArrayBuffer(value)) {
            *out = QCborValue(value.toVariant().toByteArray());
            return true;
        }
        if (isView(value)) {
            // typed arrays and DataView: the bytes of the view only, as socket.io-client sends them
            const QByteArray buffer = value.property(u"buffer"_s).toVariant().toByteArray();
            const qsizetype offset = qsizetype(value.property(u"byteOffset"_s).toNumber());
            const qsizetype length = qsizetype(value.property(u"byteLength"_s).toNumber());
            *out = QCborValue(buffer.mid(offset, length));
            return true;
        }
        const QJSValue toJson = value.property(u"toJSON"_s);
        if (toJson.isCallable()) {
            const QJSValue replaced = toJson.callWithInstance(value, {QJSValue(key)});
            if (replaced.isError()) {
                *m_error = u"toJSON() threw: %1"_s.arg(replaced.toString());
                return false;
            }
            return convert(replaced, key, depth + 1, out);
        }
        if (isArrayLike(value)) {
            const quint32 length = value.property(u"length"_s).toUInt();
            QCborArray array;
            for (quint32 i = 0; i < length; ++i) {
                QCborValue element;
                if (!convert(value.property(i), QString::number(i), depth + 1, &element))
                    return false;
                array.append(element.isUndefined() ? QCborValue(nullptr) : element);
            }
            *out = array;
            return true;
        }
        if (value.isQObject()) {
            qCDebug(lcQml) << "a QObject argument is sent as an empty object";
            *out = QCborMap();
            return true;
        }
        if (value.isVariant()) {
            *out = QCborValue::fromVariant(value.toVariant());
            return true;
        }
        QCborMap map;
        QJSValueIterator it(value);
        while (it.hasNext()) {
            it.next();
            QCborValue member;
            if (!convert(it.value(), it.name(), depth + 1, &member))
                return false;
            if (!member.isUndefined())
                map.insert(it.name(), member);
        }
        *out = map;
        return true;
    }

private:
    static QCborValue number(double d)
    {
        if (!std::isfinite(d))
            return QCborValue(nullptr);   // JSON.stringify(NaN) is "null"
        if (std::trunc(d) == d && std::fabs(d) <= MaxSafeInteger)
            return QCborValue(qint64(d));
        return QCborValue(d);
    }

    bool isArrayBuffer(const QJSValue &value) const
    {
        // QJSValue has no instanceof in Qt 6.4; the built-in tag is as reliable
        return m_objectToString.isCallable()
            && m_objectToString.callWithInstance(value).toString() == u"[object ArrayBuffer]"_s;
    }

    bool isView(const QJSValue &value) const
    {
        return m_isView.isCallable() && m_isView.callWithInstance(m_arrayBuffer, {value}).toBool();
    }

    QString *m_error;
    QJSValue m_arrayPrototype;
    QJSValue m_isPrototypeOf;
    QJSValue m_arrayBuffer;
    QJSValue m_isView;
    QJSValue m_objectToString;
};

} // namespace

QCborValue toCbor(QJSEngine *engine, const QJSValue &value, QString *error)
{
    QString ignored;
    ToCbor converter(engine, error ? error : &ignored);
    QCborValue out;
    if (!converter.convert(value, QString(), 0, &out))
        return QCborValue(QCborValue::Invalid);
    return out.isUndefined() ? QCborValue(nullptr) : out;
}

bool toCborArgs(QJSEngine *engine, const QJSValue &args, QCborArray *out, QString *error)
{
    *out = QCborArray();
    if (args.isUndefined())
        return true;
    QString ignored;
    QString *message = error ? error : &ignored;
    if (!ToCbor(engine, message).isArrayLike(args)) {
        const QCborValue single = toCbor(engine, args, message);
        if (single.isInvalid())
            return false;
        out->append(single);
        return true;
    }
    const quint32 length = args.property(u"length"_s).toUInt();
    for (quint32 i = 0; i < length; ++i) {
        const QCborValue element = toCbor(engine, args.property(i), message);
        if (element.isInvalid())
            return false;
        out->append(element);
    }
    return true;
}

QJSValue toJs(QJSEngine *engine, const QCborValue &value)
{
    switch (value.type()) {
    case QCborValue::Integer:
        return QJSValue(double(value.toInteger()));
    case QCborValue::Double:
        return QJSValue(value.toDouble());
    case QCborValue::String:
        return QJSValue(value.toString());
    case QCborValue::True:
        return QJSValue(true);
    case QCborValue::False:
        return QJSValue(false);
    case QCborValue::Null:
        return QJSValue(QJSValue::NullValue);
    case QCborValue::Undefined:
        return QJSValue(QJSValue::UndefinedValue);
    case QCborValue::ByteArray:
        return engine->toScriptValue(value.toByteArray());   // ArrayBuffer in Qt 6
    case QCborValue::Array: {
        const QCborArray array = value.toArray();
        QJSValue result = engine->newArray(quint32(array.size()));
        for (qsizetype i = 0; i < array.size(); ++i)
            result.setProperty(quint32(i), toJs(engine, array.at(i)));
        return result;
    }
    case QCborValue::Map: {
        const QCborMap map = value.toMap();
        QJSValue result = engine->newObject();
        for (auto it = map.cbegin(); it != map.cend(); ++it) {
            const QCborValue key = it.key();
            const QString name = key.isString()    ? key.toString()
                                 : key.isInteger() ? QString::number(key.toInteger())
                                                   : key.toDiagnosticNotation();
            result.setProperty(name, toJs(engine, it.value()));
        }
        return result;
    }
    default:
        // tags and simple types do not come out of the Socket.IO codec; keep a best effort
        return engine->toScriptValue(value.toVariant());
    }
}

QJSValue toJsArray(QJSEngine *engine, const QCborArray &args)
{
    return toJs(engine, QCborValue(args));
}

} // namespace SocketIo::JsConversion
