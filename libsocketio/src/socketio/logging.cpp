#include "logging_p.h"

namespace SocketIo {
Q_LOGGING_CATEGORY(lcServer, "socketio.server", QtWarningMsg)
Q_LOGGING_CATEGORY(lcAdapter, "socketio.adapter", QtWarningMsg)
} // namespace SocketIo
