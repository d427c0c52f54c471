#pragma once

#include <SocketIo/socketioredis_export.h>

#include <QByteArray>
#include <QByteArrayView>
#include <QCborValue>
#include <QString>

namespace SocketIo::MsgPack {

/*!
  msgpack <-> QCborValue conversion, byte compatible with notepack.io (the codec of
  `@socket.io/redis-adapter` and `@socket.io/redis-emitter`), built on msgpack-c's C API.

  encode(): null and undefined -> nil (c0) in arrays; map members whose value is undefined are
  omitted (like JavaScript's undefined properties); booleans; integers, and doubles that hold an
  integer value (JavaScript has one number type), in the smallest (u)int form; other doubles as
  float64 (cb); strings as str; byte strings as bin; arrays; maps keep their order, non-string
  keys are written as strings; a QDateTime becomes its ISO 8601 text (what JSON.stringify makes of
  a Date), other tags write their tagged value.

  decode(): the reverse; bin -> byte string, str -> string, maps -> QCborMap with string keys in
  wire order, float32/float64 -> double, uint64 above INT64_MAX -> double, timestamp extension ->
  QDateTime, other extensions -> undefined. Returns an invalid value (QCborValue::Invalid) and
  sets \a error for anything that is not exactly one well-formed msgpack value: truncated or
  trailing bytes, nesting deeper than msgpack-c's 32 levels, or container headers announcing more
  elements than there are bytes left (checked before msgpack-c allocates for them).
*/
SOCKETIO_REDIS_EXPORT QByteArray encode(const QCborValue &value);
/*! See encode(). */
SOCKETIO_REDIS_EXPORT QCborValue decode(QByteArrayView bytes, QString *error = nullptr);

} // namespace SocketIo::MsgPack
