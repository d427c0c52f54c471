// Logging category of the Engine.IO client; warnings only by default.
#pragma once

#include <QLoggingCategory>

namespace SocketIo {
Q_DECLARE_LOGGING_CATEGORY(lcEngineClient)
} // namespace SocketIo
