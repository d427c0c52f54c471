#include "serveroptions.h"

namespace SocketIo {

ServerOptions::ServerOptions()
{
    path = QStringLiteral("/socket.io/");
}

} // namespace SocketIo
