// Logging categories of the Socket.IO server layer (warnings only by default).
#pragma once

#include <QLoggingCategory>

namespace SocketIo {
Q_DECLARE_LOGGING_CATEGORY(lcServer)
Q_DECLARE_LOGGING_CATEGORY(lcAdapter)
} // namespace SocketIo
