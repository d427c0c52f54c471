#include "version.h"

namespace SocketIo {

QString libraryVersion()
{
    return QStringLiteral(SOCKETIO_VERSION_STRING);
}

} // namespace SocketIo
