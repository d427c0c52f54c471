// Logging categories of the Engine.IO layer; warnings only by default.
#pragma once

#include <QLoggingCategory>

namespace SocketIo {
Q_DECLARE_LOGGING_CATEGORY(lcEngine)
Q_DECLARE_LOGGING_CATEGORY(lcEnginePolling)
Q_DECLARE_LOGGING_CATEGORY(lcEngineWebSocket)
} // namespace SocketIo
