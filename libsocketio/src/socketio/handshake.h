#pragma once

#include <SocketIo/socketio_export.h>

#include <QCborMap>
#include <QDateTime>
#include <QJsonObject>
#include <QMetaType>
#include <QString>

namespace SocketIo {

struct EngineRequest;

/*!
  socket.handshake as socket.io builds it (protocol.md 2.9), from the first HTTP request of the
  Engine.IO session plus the CONNECT packet's auth object. A plain value; toCbor()/toJson()
  give socket.io's JSON shape (the one fetchSockets ships across a cluster and the Admin UI shows).
*/
struct SOCKETIO_EXPORT Handshake
{
    /*! Request headers, lower-case name to value, repeated ones as Node's http module gives them
        to socket.io: joined with ", " ("cookie" with "; "), the first kept of "authorization",
        "host", "user-agent", "content-type" and the others Node keeps once, "set-cookie" as an
        array of strings. */
    QCborMap headers;
    /*! JavaScript `new Date() + ""` form in the server's local time zone, as socket.io gives it:
        "Thu Nov 26 2026 11:46:28 GMT+0000 (Coordinated Universal Time)" (jsDateString()). */
    QString time;
    /*! The peer's address as Node prints it ("::1", "127.0.0.1", "::ffff:127.0.0.1"). */
    QString address;
    /*! True when the request had an Origin header. */
    bool xdomain = false;
    /*! True for TLS connections. */
    bool secure = false;
    /*! Milliseconds since the epoch when the handshake was built. */
    qint64 issued = 0;
    /*! The first request's target, e.g. "/socket.io/?EIO=4&transport=polling". */
    QString url;
    /*! The first request's query parameters, name to string value, decoded as engine.io 6 does
        ("+" is a space; of a name given several times, the last value). */
    QCborMap query;
    /*! The CONNECT packet's auth object ({} when absent). */
    QCborMap auth;

    /*! socket.io's object, keys in its order: headers, time, address, xdomain, secure, issued, url,
        query, auth. */
    QCborMap toCbor() const;
    /*! toCbor() as JSON (byte strings, if any, become base64 text). */
    QJsonObject toJson() const;
    /*! Reads the shape toCbor() writes (missing keys keep their defaults). */
    static Handshake fromCbor(const QCborMap &map);
    /*! Builds the handshake for a socket of the session opened by \a request. */
    static Handshake fromRequest(const EngineRequest &request, const QCborMap &auth);
    /*! \a dateTime as JavaScript's Date.prototype.toString() prints it, in the process's local
        time zone (the TZ environment variable, else the system's), as Node does:
        "Sat Nov 28 2026 08:16:43 GMT+0100 (Central European Standard Time)". */
    static QString jsDateString(const QDateTime &dateTime);

    bool operator==(const Handshake &other) const;
    bool operator!=(const Handshake &other) const { return !(*this == other); }
};

} // namespace SocketIo

Q_DECLARE_METATYPE(SocketIo::Handshake)
