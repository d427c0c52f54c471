// Logging category of the Socket.IO client layer (warnings only by default).
#pragma once

#include <QLoggingCategory>

namespace SocketIo {
Q_DECLARE_LOGGING_CATEGORY(lcClient)
} // namespace SocketIo
