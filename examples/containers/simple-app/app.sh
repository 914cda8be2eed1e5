while true; do
  echo "$FROM_COMPOSE"
  sleep 60
done
