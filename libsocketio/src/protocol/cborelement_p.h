// Reading an element of a QCborArray/QCborMap in place. In Qt 6.4, QCborValueConstRef's public
// accessors (toString(), toInteger(), ...) first build a temporary QCborValue, which for a
// string element allocates a container holding a copy of the text; the protected accessors
// used by QCborValueRef read the element directly.
#pragma once

#include <QByteArray>
#include <QCborValue>
#include <QString>

namespace SocketIo::Protocol::CborElement {

struct Access : QCborValueConstRef
{
    using QCborValueConstRef::concreteByteArray;
    using QCborValueConstRef::concreteDouble;
    using QCborValueConstRef::concreteIntegral;
    using QCborValueConstRef::concreteString;
    using QCborValueConstRef::concreteType;
};

inline QCborValue::Type type(QCborValueConstRef v) { return Access::concreteType(v); }
inline qint64 integer(QCborValueConstRef v) { return Access::concreteIntegral(v, 0); }
inline double toDouble(QCborValueConstRef v) { return Access::concreteDouble(v, 0); }
inline QString string(QCborValueConstRef v) { return Access::concreteString(v, QString()); }
inline QByteArray bytes(QCborValueConstRef v) { return Access::concreteByteArray(v, QByteArray()); }

} // namespace SocketIo::Protocol::CborElement
