#include "enginelogging_p.h"

namespace SocketIo {
Q_LOGGING_CATEGORY(lcEngine, "socketio.engine", QtWarningMsg)
Q_LOGGING_CATEGORY(lcEnginePolling, "socketio.engine.polling", QtWarningMsg)
Q_LOGGING_CATEGORY(lcEngineWebSocket, "socketio.engine.websocket", QtWarningMsg)
} // namespace SocketIo
