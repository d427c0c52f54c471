// Conversions between JavaScript values and Socket.IO payloads (QCborValue) at the QML boundary.
#pragma once

#include <QCborArray>
#include <QCborValue>
#include <QJSValue>
#include <QString>

QT_BEGIN_NAMESPACE
class QJSEngine;
QT_END_NAMESPACE

namespace SocketIo::JsConversion {

/*! Deepest nesting of arrays and objects accepted from JavaScript; deeper values (and cycles,
    which JSON.stringify refuses too) make the conversion fail. */
constexpr int MaxDepth = 64;

/*!
  Converts the JavaScript value \a value the way socket.io-client serialises it (JSON.stringify
  plus binary placeholders): ArrayBuffer, typed arrays and DataView become byte strings; numbers
  that are whole and within ±2^53 become integers, other finite numbers doubles, NaN and
  Infinity null; Dates their ISO string; objects with toJSON() the result of it; functions and
  undefined are dropped from objects and become null in arrays (and at the top level).
  Returns an invalid QCborValue and sets \a error when the value nests deeper than MaxDepth.
*/
QCborValue toCbor(QJSEngine *engine, const QJSValue &value, QString *error);

/*!
  Converts an emit's argument list: undefined gives no argument, an array one argument per
  element, anything else a single argument. Returns false and sets \a error on failure.
*/
bool toCborArgs(QJSEngine *engine, const QJSValue &args, QCborArray *out, QString *error);

/*!
  Converts a payload value to JavaScript: byte strings become ArrayBuffer, maps objects, arrays
  arrays, integers and doubles numbers; \a engine must not be null.
*/
QJSValue toJs(QJSEngine *engine, const QCborValue &value);

/*! Converts each argument with toJs() into a JavaScript array. */
QJSValue toJsArray(QJSEngine *engine, const QCborArray &args);

} // namespace SocketIo::JsConversion
