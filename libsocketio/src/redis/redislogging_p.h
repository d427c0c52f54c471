// Logging category of the Redis adapter (warnings only by default).
#pragma once

#include <QLoggingCategory>

namespace SocketIo {
Q_DECLARE_LOGGING_CATEGORY(lcRedis)
} // namespace SocketIo
