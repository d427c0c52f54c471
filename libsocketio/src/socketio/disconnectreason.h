#pragma once

#include <SocketIo/socketio_export.h>

#include <QMetaType>
#include <QString>

namespace SocketIo {

/*!
  Why a socket left its namespace, exactly socket.io's reason strings (protocol.md 4.3).
  The first nine are server-side reasons (socket.io's Socket "disconnect" event), the last two
  are reasons only a client sees.
*/
enum class DisconnectReason {
    ServerNamespaceDisconnect,  // "server namespace disconnect": Socket::disconnect() on the server
    ClientNamespaceDisconnect,  // "client namespace disconnect": the client sent DISCONNECT
    ServerShuttingDown,         // "server shutting down": Server::close()
    PingTimeout,                // "ping timeout"
    TransportClose,             // "transport close"
    TransportError,             // "transport error"
    ParseError,                 // "parse error"
    ForcedClose,                // "forced close": the Engine.IO session was closed by the server
    ForcedServerClose,          // "forced server close": connection closed on a state error or connectTimeout
    IoServerDisconnect,         // "io server disconnect" (client side)
    IoClientDisconnect,         // "io client disconnect" (client side)
};

/*! socket.io's string for \a reason, e.g. "client namespace disconnect". */
SOCKETIO_EXPORT QString reasonString(DisconnectReason reason);

/*! The reason for socket.io's string \a reason (an Engine.IO close reason works too). Unknown
    strings map to TransportError and set *ok to false when \a ok is given. */
SOCKETIO_EXPORT DisconnectReason disconnectReasonFromString(const QString &reason, bool *ok = nullptr);

} // namespace SocketIo

Q_DECLARE_METATYPE(SocketIo::DisconnectReason)
