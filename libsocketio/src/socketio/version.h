#pragma once

#include <SocketIo/socketio_export.h>

#include <QString>

namespace SocketIo {

/*! The library's version, "major.minor.patch". */
SOCKETIO_EXPORT QString libraryVersion();
/*! Engine.IO protocol revision spoken (4). */
inline constexpr int EngineIoProtocol = 4;
/*! Socket.IO protocol revision spoken (5). */
inline constexpr int SocketIoProtocol = 5;

} // namespace SocketIo
