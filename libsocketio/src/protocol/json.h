// JSON <-> QCborValue, compatible with JavaScript's JSON.parse / JSON.stringify.
//
// Socket.IO payloads are "JSON plus binary buffers"; we keep them as QCborValue because it
// preserves object key order (QJsonObject sorts keys) and can hold byte strings.
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QCborValue>
#include <QList>
#include <QString>

namespace SocketIo::Protocol::Json {

/*!
  Serialises \a value like JSON.stringify (no spaces):
  - maps keep insertion order; non-string keys are converted to their string form;
  - strings escape '"', '\\' and every control character U+0000..U+001F (as \b \f \n \r \t or
    \u00XX), so U+001E can never split a polling payload; other characters are written as UTF-8;
  - integers without a fraction, doubles in shortest round-trip form as JavaScript prints them
    (1e+21, 1.5e-7), NaN/Infinity as null, -0 as 0;
  - undefined becomes null inside arrays and is dropped inside maps (as JS drops undefined members);
  - byte strings: if \a attachments is non-null, each is replaced by {"_placeholder":true,"num":N}
    (N counts in depth-first order) and appended to *attachments; if null, written as null.
  - tags are written as their tagged value;
  - strings holding a lone UTF-16 surrogate write it as a \uXXXX escape, as JSON.stringify does
    since ES2019 (UTF-8 cannot carry it);
  - containers nested deeper than MaxJsonDepth are written as null (read() would refuse them and
    unbounded recursion could overflow the stack); a top-level undefined is written as null.
*/
QByteArray write(const QCborValue &value, QList<QByteArray> *attachments = nullptr);

/*! Appends what write() returns to \a out (one buffer for a packet header and its JSON). */
void writeTo(QByteArray *out, const QCborValue &value, QList<QByteArray> *attachments = nullptr);

/*! Appends \a string as a JSON string (quoted and escaped exactly as write() writes a string
    value) to \a out, without building a QCborValue. */
void writeStringTo(QByteArray *out, QStringView string);

/*!
  Parses UTF-8 JSON text \a json (any JSON value at top level, surrounding whitespace allowed)
  like JSON.parse: integers within +-2^53 without fraction or exponent become integer values,
  other numbers doubles (so -0 is the double -0.0 and 2^53+1 becomes 2^53, as in JavaScript);
  objects keep key order (a duplicate key keeps the last value, at its first position, as in
  JavaScript; unlike JavaScript, integer-like keys are not moved to the front). A lone surrogate
  escape ("\uD800") stays in a string value as JSON.parse keeps it (write() escapes it again),
  but becomes U+FFFD in an object key; a valid pair becomes its character. Numbers too large for a double become infinity, too small ones 0, as in JavaScript.
  Returns false and sets \a error on any syntax error, invalid UTF-8, or nesting deeper than
  MaxJsonDepth. Never throws, never crashes on any input.
*/
bool read(QByteArrayView json, QCborValue *value, QString *error = nullptr);

/*! Options and results of read() beyond the value (a Socket.IO EVENT's name read apart). */
struct ReadInfo
{
    /*! Input: if the top-level value is an array whose first element is a string, put that
        string in firstString and leave it out of the array (a Socket.IO EVENT's name). */
    bool separateFirstString = false;
    /*! Output: the first element was left out of the array and is in firstString. */
    bool firstStringSeparated = false;
    QString firstString;
};

/*! read(), taking an array's first string out if \a info asks for it. */
bool read(QByteArrayView json, QCborValue *value, QString *error, ReadInfo *info);

/*! True if \a value contains a byte string anywhere (the packet must be sent as binary). */
bool hasBinary(const QCborValue &value);

} // namespace SocketIo::Protocol::Json
