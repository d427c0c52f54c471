// Logging category of the QML module (warnings only by default).
#pragma once

#include <QLoggingCategory>

namespace SocketIo {
Q_DECLARE_LOGGING_CATEGORY(lcQml)
} // namespace SocketIo
